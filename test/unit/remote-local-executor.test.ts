import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Host } from '../../src/inventory/types.js';
import { LocalExecutor } from '../../src/remote/local-executor.js';
import { runChecked } from '../../src/remote/session.js';

const host: Host = { name: 'local1', address: '127.0.0.1', labels: {}, ssh: {}, stateDir: '/var/lib/zkplan', index: 0 };
const scratch = mkdtempSync(path.join(tmpdir(), 'zkplan-local-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('LocalExecutor', async () => {
  const session = await new LocalExecutor().session(host);

  it('runs argv without a shell', async () => {
    const canary = path.join(scratch, 'pwned');
    const values = [`$(touch ${canary})`, 'a b', `it's`, ''];
    const r = await session.run(['printf', '%s\\0', ...values]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), values);
    assert.equal(existsSync(canary), false);
  });

  it('propagates exit codes, stderr and stdin', async () => {
    const r = await session.run(['sh', '-c', 'cat; echo oops >&2; exit 7'], { stdin: 'input\n' });
    assert.deepEqual(r, { code: 7, stdout: 'input\n', stderr: 'oops\n' });
    const missing = await session.run(['zkplan-no-such-command']);
    assert.equal(missing.code, 127);
    await assert.rejects(runChecked(session, ['sh', '-c', 'echo bad >&2; exit 3']), /local1: command failed with exit code 3: .*\nbad/);
  });

  it('times out', async () => {
    await assert.rejects(session.run(['sleep', '5'], { timeoutMs: 100 }), /local1 \(local\): timed out after 100 ms/);
  });

  it('writes files atomically with their mode and reads them back', async () => {
    const file = path.join(scratch, 'deep', 'er', 'zoo.cfg');
    await session.putFiles([{ path: file, content: 'tickTime=2000\n', mode: 0o600 }]);
    await session.putFiles([{ path: file, content: Buffer.from('tickTime=3000\n'), mode: 0o640 }]);
    assert.equal((await session.readFile(file))?.toString(), 'tickTime=3000\n');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.equal(await session.readFile(path.join(scratch, 'missing')), undefined);
  });

  it('dials TCP', async () => {
    const server = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    const sock = await session.dial('127.0.0.1', port);
    const echoed = new Promise<string>((resolve) => sock.once('data', (d: Buffer) => resolve(d.toString())));
    sock.write('ruok');
    assert.equal(await echoed, 'ruok');
    sock.destroy();
    server.close();
  });
});
