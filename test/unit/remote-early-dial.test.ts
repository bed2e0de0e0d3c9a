// The early TCP dial of connectTarget (the SSH port is dialled before ssh2 has loaded): against an
// ssh2 server on loopback, the dialled socket is the one the session runs on, a refused port reads
// as it always did, and a host without any credential is never dialled. Only 127.0.0.1 traffic.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { OperationalError } from '../../src/common/problems.js';
import { connectTarget } from '../../src/remote/ssh-connect.js';
import type { SshTarget } from '../../src/remote/ssh-target.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-early-dial-'));
/** ssh2 1.17 makes about one ed25519 key in 250 that its own parser rejects: such a key is skipped. */
function keyPair(): ReturnType<typeof ssh2.utils.generateKeyPairSync> {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}
const hostKey = keyPair();
const userKey = keyPair();
const identity = path.join(dir, 'id_ed25519');
const knownHosts = path.join(dir, 'known_hosts');
writeFileSync(identity, userKey.private);

const OPTIONS = { acceptNewHostKeys: false, connectTimeoutMs: 10_000, keepaliveIntervalMs: 0, keepaliveCountMax: 3 };

function target(port: number, identityFiles = [identity]): SshTarget {
  return { hostName: 'zk1', address: '127.0.0.1', port, user: 'zk', identityFiles, knownHostsFiles: [knownHosts] };
}

describe('connectTarget dials early', () => {
  let server: ssh2.Server;
  let port = 0;
  let connections = 0;
  let sessions = 0;

  before(async () => {
    server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      client.on('ready', () => sessions++);
      client.on('error', () => undefined);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
    const blob = ssh2.utils.parseKey(hostKey.public) as ssh2.ParsedKey;
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${blob.type} ${blob.getPublicSSH().toString('base64')}\n`);
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the session on the socket it dialled: one TCP connection per session', async () => {
    const before = connections;
    const client = await connectTarget(target(port), OPTIONS);
    client.end();
    assert.equal(connections - before, 1);
    assert.equal(sessions, 1);
  });

  it('reports a refused port as before', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(connectTarget(target(closedPort), OPTIONS), (e: unknown) => {
      assert.ok(e instanceof OperationalError);
      assert.equal(e.message, `zk1 (127.0.0.1:${closedPort}): connection refused`);
      return true;
    });
  });

  it('never dials a host it has no credential for', async () => {
    const before = connections;
    await assert.rejects(connectTarget(target(port, [path.join(dir, 'missing')]), OPTIONS), /no ssh-agent .* and no usable identity file/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(connections, before);
  });
});
