// The Engine API side of the host target: the create body each container spec becomes (the
// translation of its `docker run`, pinned exactly as the argv builders are), the requests as data,
// the HTTP client over a stream (against a real HTTP server on a unix socket), log frames, and the
// deploy lock over file operations.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dockerRun } from '../../src/remote/commands/docker.js';
import { engineServer } from './helpers/engine-server.js';
import {
  containerCreateBody,
  createContainerRequest,
  envEntry,
  imageInspectRequest,
  inspectContainerRequest,
  listByLabelRequest,
  listRunningByLabelsRequest,
  listNodesRequest,
  listRunningTasksRequest,
  listServicesRequest,
  logsTailRequest,
  removeContainerRequest,
  restartContainerRequest,
  startContainerRequest,
} from '../../src/remote/commands/engine.js';
import { formatLockDetails, type LockDetails } from '../../src/remote/commands/lock.js';
import { demuxLogs, EngineClient } from '../../src/remote/engine-client.js';
import type { RemoteFiles } from '../../src/remote/sftp-files.js';
import { acquireLockFiles, releaseOwnLockFiles } from '../../src/remote/sftp-lock.js';
import type { HostSession } from '../../src/remote/session.js';
import { lockOverSftp } from '../../src/drivers/lock.js';
import { dialStdioCommand, engineAddressCommand, sessionEngineAddress, socketPath } from '../../src/drivers/host/engine-address.js';
import type { ContainerSpec } from '../../src/rollout/spec.js';
import { bridge, host } from './helpers/container-specs.js';

describe('containerCreateBody: the docker run of the same spec, as the Engine API takes it', () => {
  it('host networking, bind mounts, environment in order, labels with the config hash: the host target', () => {
    assert.deepEqual(containerCreateBody(host), {
      Image: 'zookeeper:3.9.4',
      Env: ['ZOO_MY_ID=1', 'ZOO_SERVERS=server.1=10.0.0.1:2888:3888;2181 server.2=10.0.0.2:2888:3888;2181'],
      Labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': '1', 'io.zkplan.config-hash': '0123456789abcdef' },
      HostConfig: {
        Binds: ['/var/lib/zk/1/data:/data', '/var/lib/zk/1/datalog:/datalog'],
        NetworkMode: 'host',
        RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
        PortBindings: {},
      },
    });
  });

  it('a user-defined bridge: hostname, the network endpoint, published port, named volume', () => {
    assert.deepEqual(containerCreateBody(bridge), {
      Image: 'zookeeper:3.9.4',
      Hostname: 'zk1',
      Env: ['ZOO_MY_ID=1'],
      Labels: { 'io.zkplan.ensemble': 'zk' },
      ExposedPorts: { '2181/tcp': {} },
      HostConfig: {
        Binds: ['zk1-data:/data'],
        NetworkMode: 'zk-net',
        RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
        PortBindings: { '2181/tcp': [{ HostIp: '127.0.0.1', HostPort: '2181' }] },
      },
      NetworkingConfig: { EndpointsConfig: { 'zk-net': {} } },
    });
  });

  it('links and a fixed address go to the network endpoint, as the CLI puts them', () => {
    assert.deepEqual(containerCreateBody({ ...bridge, ports: [], network: { kind: 'named', name: 'foo', links: ['zk2:zknode2', 'zk3:zknode3'] } }).NetworkingConfig, {
      EndpointsConfig: { foo: { Links: ['zk2:zknode2', 'zk3:zknode3'] } },
    });
    assert.deepEqual(containerCreateBody({ ...bridge, ports: [], network: { kind: 'named', name: 'foo', ip: '172.19.128.2' } }).NetworkingConfig, {
      EndpointsConfig: { foo: { IPAMConfig: { IPv4Address: '172.19.128.2' } } },
    });
    assert.deepEqual(containerCreateBody({ ...bridge, ports: [], network: { kind: 'named', name: 'foo', ip: 'fd00::2' } }).NetworkingConfig, {
      EndpointsConfig: { foo: { IPAMConfig: { IPv6Address: 'fd00::2' } } },
    });
  });

  it('published ports: an IPv6 address unbracketed, every address as empty, two bindings of one port', () => {
    const body = containerCreateBody({ ...bridge, ports: [{ address: '::1', published: 2182, target: 2181 }, { published: 8080, target: 8080 }, { published: 2183, target: 2181 }] });
    assert.deepEqual(body.ExposedPorts, { '2181/tcp': {}, '8080/tcp': {} });
    assert.deepEqual(body.HostConfig.PortBindings, {
      '2181/tcp': [{ HostIp: '::1', HostPort: '2182' }, { HostIp: '', HostPort: '2183' }],
      '8080/tcp': [{ HostIp: '', HostPort: '8080' }],
    });
  });

  it('memory limit, user, read-only mount, restart policy and command when the spec sets them', () => {
    const body = containerCreateBody({ ...bridge, ports: [], memoryBytes: 2147483648, user: '1000:1000', restart: 'unless-stopped', mounts: [{ kind: 'bind', source: '/etc/zk', target: '/conf', readOnly: true }], command: ['zkServer.sh', 'start-foreground'] });
    assert.deepEqual(body.Cmd, ['zkServer.sh', 'start-foreground']);
    assert.equal(body.User, '1000:1000');
    assert.deepEqual(body.HostConfig, { Binds: ['/etc/zk:/conf:ro'], NetworkMode: 'zk-net', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, PortBindings: {}, Memory: 2147483648 });
  });

  it('Swarm-only fields (placement, dnsrr) do not reach the body, as they do not reach docker run', () => {
    assert.deepEqual(containerCreateBody({ ...bridge, placement: 'node.labels.x == 1', network: { kind: 'named', name: 'zk-net', dnsrr: true } }), containerCreateBody(bridge));
  });

  it('carries every value docker run carries, word for word (hostile values are data, not syntax)', () => {
    const evil = `x'; touch /tmp/pwned; echo "$(id)" \`id\` $HOME`;
    const spec: ContainerSpec = { ...host, env: [['A', evil]], labels: { 'io.zkplan.ensemble': evil }, mounts: [{ kind: 'bind', source: `/d/${evil}`, target: '/data' }] };
    const body = containerCreateBody(spec);
    const argv = dockerRun(spec);
    assert.ok(argv.includes(`A=${evil}`) && body.Env.includes(`A=${evil}`));
    assert.ok(argv.includes(`/d/${evil}:/data`) && body.HostConfig.Binds.includes(`/d/${evil}:/data`));
    assert.equal(body.Labels['io.zkplan.ensemble'], evil);
    assert.equal(JSON.parse(JSON.stringify(body)).Labels['io.zkplan.ensemble'], evil);
  });

  it('refuses an environment entry that an env file would read differently (run.sh must make the same container)', () => {
    assert.equal(envEntry('A', ' v=1 '), 'A= v=1 ');
    for (const key of ['', '#A', 'A B', ' A']) assert.throws(() => envEntry(key, 'v'), /cannot be passed through an env file unchanged/);
    assert.throws(() => envEntry('A', 'x\ny'), /env file/);
    assert.throws(() => containerCreateBody({ ...host, image: '-v' }), /read as an option/);
  });
});

describe('Engine API requests', () => {
  it('are exact: method, unversioned path, query, body', () => {
    assert.deepEqual(createContainerRequest(host), { method: 'POST', path: '/containers/create?name=zk1', body: containerCreateBody(host) });
    assert.deepEqual(startContainerRequest('zk1'), { method: 'POST', path: '/containers/zk1/start' });
    assert.deepEqual(removeContainerRequest('zk1'), { method: 'DELETE', path: '/containers/zk1?force=1&v=1' });
    assert.deepEqual(restartContainerRequest('zk5'), { method: 'POST', path: '/containers/zk5/restart' });
    assert.deepEqual(inspectContainerRequest('zk1'), { method: 'GET', path: '/containers/zk1/json' });
    assert.deepEqual(logsTailRequest('zk1', 10), { method: 'GET', path: '/containers/zk1/logs?stdout=1&stderr=1&tail=10' });
    assert.deepEqual(listRunningByLabelsRequest(['com.docker.swarm.service.name=zk_zk1', 'io.zkplan.config=ab12']), {
      method: 'GET',
      path: `/containers/json?filters=${encodeURIComponent('{"status":["running"],"label":["com.docker.swarm.service.name=zk_zk1","io.zkplan.config=ab12"]}')}`,
    });
    assert.deepEqual(listByLabelRequest('io.zkplan.ensemble', 'zk'), {
      method: 'GET',
      path: `/containers/json?all=1&filters=${encodeURIComponent('{"label":["io.zkplan.ensemble=zk"]}')}`,
    });
    assert.deepEqual(imageInspectRequest('registry.example:5000/zk/zookeeper:3.9'), { method: 'GET', path: '/images/registry.example%3A5000/zk/zookeeper%3A3.9/json' });
  });

  it('the Swarm manager\'s reads are exact: nodes, a stack\'s services, its tasks that should run', () => {
    assert.deepEqual(listNodesRequest(), { method: 'GET', path: '/nodes' });
    assert.deepEqual(listServicesRequest('com.docker.stack.namespace', 'zk'), {
      method: 'GET',
      path: `/services?filters=${encodeURIComponent('{"label":["com.docker.stack.namespace=zk"]}')}`,
    });
    assert.deepEqual(listRunningTasksRequest('com.docker.stack.namespace', 'zk'), {
      method: 'GET',
      path: `/tasks?filters=${encodeURIComponent('{"label":["com.docker.stack.namespace=zk"],"desired-state":["running"]}')}`,
    });
  });

  it('the engine is found by the docker CLI of the login session, or reached through it', () => {
    assert.deepEqual(engineAddressCommand(), ['docker', 'context', 'inspect', '--format', '{{.Endpoints.docker.Host}}']);
    assert.deepEqual(dialStdioCommand('tcp://10.0.0.1:2375'), ['docker', '--host', 'tcp://10.0.0.1:2375', 'system', 'dial-stdio']);
    assert.equal(socketPath('unix:///tmp/h1/docker.sock'), '/tmp/h1/docker.sock');
    assert.equal(socketPath('tcp://10.0.0.1:2375'), undefined);
  });

  it('the login session\'s address is read from its sftp-server process, where that process tells the truth', () => {
    const sftpServer = '/usr/lib/openssh/sftp-server\0';
    const env = (...vars: string[]) => vars.map((v) => `${v}\0`).join('');
    // sshd's SetEnv or an rc file's export: what the session's docker CLI would use
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: env('HOME=/root', 'DOCKER_HOST=unix:///run/user/0/docker.sock', 'LANG=C') }, undefined), 'unix:///run/user/0/docker.sock');
    assert.equal(sessionEngineAddress({ cmdline: '/usr/libexec/openssh/sftp-server\0-l\0INFO\0', environ: env('DOCKER_HOST=tcp://127.0.0.1:2375') }, undefined), 'tcp://127.0.0.1:2375');
    // nothing set and no context: the CLI's default
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: env('HOME=/root') }, undefined), 'unix:///var/run/docker.sock');
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: env('HOME=/root') }, '{"auths":{}}'), 'unix:///var/run/docker.sock');
    // a context may be in use: only the CLI knows
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: env('DOCKER_CONTEXT=remote') }, undefined), undefined);
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: env('DOCKER_CONFIG=/etc/docker-cli') }, undefined), undefined);
    assert.equal(sessionEngineAddress({ cmdline: sftpServer, environ: '' }, '{"currentContext":"rootless"}'), undefined);
    // internal-sftp runs inside sshd, whose own environment is not the session's
    assert.equal(sessionEngineAddress({ cmdline: 'sshd: root@internal-sftp\0\0\0', environ: '\0\0\0' }, undefined), undefined);
    assert.equal(sessionEngineAddress({ cmdline: 'sshd: deploy@internal-sftp', environ: env('DOCKER_HOST=unix:///x.sock') }, undefined), undefined);
  });
});

describe('EngineClient over a stream (a real HTTP/1.1 server on a unix socket)', () => {
  const seen: { method?: string; url?: string; body: string; connection?: string }[] = [];
  const { socket, listening, client, dial } = engineServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), connection: req.headers.connection });
      if (req.url === '/containers/missing/json') {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"message":"No such container: missing"}');
      } else if (req.url?.startsWith('/containers/create')) {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        // chunked: no Content-Length
        res.write('{"Id":"ab');
        res.end('c","Warnings":[]}');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ Version: '27.0.1' }));
      }
    });
  });

  it('sends the body as JSON, one request per stream, and reads a chunked answer', async () => {
    const created = await client.json<{ Id: string }>(createContainerRequest(host));
    assert.equal(created?.Id, 'abc');
    const last = seen[seen.length - 1]!;
    assert.equal(last.method, 'POST');
    assert.equal(last.url, '/containers/create?name=zk1');
    assert.equal(last.connection, 'close');
    assert.deepEqual(JSON.parse(last.body), containerCreateBody(host));
  });

  it('answers side by side', async () => {
    const versions = await Promise.all([1, 2, 3, 4].map(() => client.json<{ Version: string }>({ method: 'GET', path: '/version' })));
    assert.deepEqual(versions.map((v) => v?.Version), ['27.0.1', '27.0.1', '27.0.1', '27.0.1']);
  });

  it("an error status is the engine's message, naming the host and the endpoint; an allowed one is an answer", async () => {
    await assert.rejects(client.json(inspectContainerRequest('missing')), /^OperationalError: h1: Docker engine GET \/containers\/missing\/json: 404 No such container: missing$/);
    assert.equal(await client.json(inspectContainerRequest('missing'), [404]).then((v) => (v as { message: string }).message), 'No such container: missing');
  });

  it('a trusted address is used without a ping; when its stream cannot be opened, the engine is looked for once and used from then on', async () => {
    let lookedFor = 0;
    const trusted = EngineClient.trusting('h1', () => Promise.reject(new Error('open failed')), 'unix:///gone.sock', async () => {
      lookedFor++;
      return client;
    });
    assert.equal(trusted.where, 'unix:///gone.sock');
    const versions = await Promise.all([1, 2, 3].map(() => trusted.json<{ Version: string }>({ method: 'GET', path: '/version' })));
    assert.deepEqual(versions.map((v) => v?.Version), ['27.0.1', '27.0.1', '27.0.1']);
    assert.equal(lookedFor, 1);
    assert.equal(trusted.where, `unix://${socket}`);
  });

  it('a trusted address that answers is never looked for again', async () => {
    const trusted = EngineClient.trusting('h1', dial, `unix://${socket}`, () => Promise.reject(new Error('must not be asked')));
    assert.equal((await trusted.json<{ Version: string }>({ method: 'GET', path: '/version' }))?.Version, '27.0.1');
  });

  it('no engine: says where it looked', async () => {
    const nowhere = new EngineClient('h2', () => Promise.reject(new Error('connect ENOENT')), 'unix:///nowhere.sock');
    await assert.rejects(nowhere.send({ method: 'GET', path: '/_ping' }), /h2: cannot reach the Docker engine \(unix:\/\/\/nowhere.sock\): connect ENOENT/);
  });
});

describe('demuxLogs', () => {
  const frame = (type: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = type;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  it('joins stdout and stderr frames in order', () => {
    assert.equal(demuxLogs(Buffer.concat([frame(1, 'starting\n'), frame(2, 'ERROR bind\n'), frame(1, 'bye\n')])), 'starting\nERROR bind\nbye\n');
  });
  it('passes unframed (TTY) output through', () => {
    assert.equal(demuxLogs(Buffer.from('plain text output\n')), 'plain text output\n');
  });
});

/** RemoteFiles on this machine's file system, with SFTP's semantics. */
function localFiles(): RemoteFiles {
  const missingOk = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  };
  return {
    mkdir: (dir, mode = 0o755) =>
      mkdir(dir, { mode }).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw err;
        },
      ),
    mkdirp: async (dir) => void (await mkdir(dir, { recursive: true })),
    stat: (file) => stat(file).then((s) => ({ uid: s.uid, gid: s.gid, mode: s.mode, isDirectory: s.isDirectory() }), () => undefined),
    read: (file) => readFile(file).catch(() => undefined),
    write: async (file, content, mode = 0o644) => {
      await writeFile(file, content, { mode });
      await chmod(file, mode);
    },
    unlink: (file) => unlink(file).catch(missingOk),
    rmdir: (dir) => rmdir(dir).catch(missingOk),
    chown: (file, uid, gid) => chown(file, uid, gid),
  };
}

describe('the deploy lock over file operations (SFTP)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'zkplan-sftp-lock-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const fs = localFiles();
  const dir = path.join(root, 'locks', 'zk');
  const mine: LockDetails = { lockedBy: 'op@laptop', pid: 42, since: '2026-11-29T10:00:00.000Z', command: 'zkplan apply inv.yml' };
  const theirs: LockDetails = { ...mine, lockedBy: 'other@desk', pid: 7 };

  it('takes it as the shell script does: <dir>/lock with the details file, printf "%s\\n"', async () => {
    assert.deepEqual(await acquireLockFiles(fs, dir, mine, { force: false }), { acquired: true });
    assert.equal(readFileSync(path.join(dir, 'lock', 'details'), 'utf8'), `${formatLockDetails(mine)}\n`);
  });

  it('refuses while held, naming the holder; a release with other details leaves it', async () => {
    const second = await acquireLockFiles(fs, dir, theirs, { force: false });
    assert.equal(second.acquired, false);
    assert.deepEqual(!second.acquired && second.holder, { lockedBy: 'op@laptop', pid: 42, since: '2026-11-29T10:00:00.000Z', command: 'zkplan apply inv.yml' });
    await releaseOwnLockFiles(fs, dir, theirs);
    assert.ok(existsSync(path.join(dir, 'lock', 'details')));
  });

  it("force breaks it and takes it; the old holder's release then frees nothing", async () => {
    assert.deepEqual(await acquireLockFiles(fs, dir, theirs, { force: true }), { acquired: true });
    await releaseOwnLockFiles(fs, dir, mine);
    assert.match(readFileSync(path.join(dir, 'lock', 'details'), 'utf8'), /other@desk/);
    await releaseOwnLockFiles(fs, dir, theirs);
    assert.ok(!existsSync(path.join(dir, 'lock')));
  });

  it('lockOverSftp takes it on a host session, refuses a second naming the holder (nothing left behind), and releases it', async () => {
    const stateDir = path.join(root, 'state');
    const session = { host: { name: 'h1', stateDir }, files: async () => fs } as unknown as HostSession;
    const held = await lockOverSftp(session, 'zk', { command: 'zkplan apply --target swarm inv.yml', forceUnlock: false });
    const lockFile = path.join(stateDir, 'locks', 'zk', 'lock', 'details');
    assert.match(readFileSync(lockFile, 'utf8'), /zkplan apply --target swarm inv\.yml/);
    await assert.rejects(lockOverSftp(session, 'zk', { command: 'zkplan apply other.yml', forceUnlock: false }), (err: Error) => {
      assert.match(err.message, /^h1: ensemble "zk" is locked by .+ since .+ \(zkplan apply --target swarm inv\.yml, pid \d+\)\nnothing was changed; if no zkplan is running, retry with --force-unlock$/);
      return true;
    });
    assert.match(readFileSync(lockFile, 'utf8'), /inv\.yml/, 'the refused attempt left the holder\'s lock as it was');
    await held.release();
    assert.ok(!existsSync(path.join(stateDir, 'locks', 'zk', 'lock')));
  });

  it('a lock the shell script made (details being written: none yet) is held by someone unknown', async () => {
    mkdirSync(path.join(dir, 'lock'), { recursive: true });
    const r = await acquireLockFiles(fs, dir, mine, { force: false });
    assert.deepEqual(r, { acquired: false, holder: {} });
    writeFileSync(path.join(dir, 'lock', 'details'), `${formatLockDetails(theirs)}\n`);
    await releaseOwnLockFiles(fs, dir, theirs);
    assert.ok(!existsSync(path.join(dir, 'lock')));
  });
});
