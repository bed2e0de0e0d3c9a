import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { allOf, batchScript, HELD_RELEASE, parseBatch, runBatch } from '../../src/remote/batch.js';
import { LocalSession } from '../../src/remote/local-executor.js';
import type { Host } from '../../src/inventory/types.js';

const host = { name: 'local', address: '127.0.0.1', stateDir: '/tmp', labels: {}, ssh: {} } as unknown as Host;
const session = new LocalSession(host);
const work = mkdtempSync(path.join(tmpdir(), 'zkplan-batch-'));
after(() => rmSync(work, { recursive: true, force: true }));

const hostile = `a'b"c $(touch ${work}/pwned) \`touch ${work}/pwned2\`; touch ${work}/pwned3\nnext line`;

describe('batched remote commands', () => {
  it('returns each command its own exit code, stdout and stderr, byte for byte', async () => {
    const results = await runBatch(session, [
      { name: 'out', argv: ['printf', '%s', hostile] },
      { name: 'err', argv: ['sh', '-c', 'printf "oops\\n" >&2; exit 3'] },
      { name: 'utf8', argv: ['printf', 'ü€\n\n'] },
      { name: 'empty', argv: ['true'] },
      { name: 'missing', argv: ['zkplan-no-such-command-xyz'] },
    ]);
    assert.deepEqual(results.get('out'), { code: 0, stdout: hostile, stderr: '' });
    assert.deepEqual(results.get('err'), { code: 3, stdout: '', stderr: 'oops\n' });
    assert.equal(results.get('utf8')!.stdout, 'ü€\n\n');
    assert.deepEqual(results.get('empty'), { code: 0, stdout: '', stderr: '' });
    assert.equal(results.get('missing')!.code, 127);
    for (const f of ['pwned', 'pwned2', 'pwned3']) assert.ok(!existsSync(path.join(work, f)), `${f} must not exist: the value ran as code`);
  });

  it('cannot be confused by output that imitates its framing', async () => {
    const script = batchScript([{ name: 'a', argv: ['true'] }]);
    // A command printing a header with a guessed (wrong) token, and the real token's shape.
    const fake = `${script.token.replace(/.$/, '0')} 1 0 0 0\nzkplan-000 end\n`;
    const results = await runBatch(session, [
      { name: 'liar', argv: ['printf', '%s', fake] },
      { name: 'after', argv: ['echo', 'fine'] },
    ]);
    assert.equal(results.get('liar')!.stdout, fake);
    assert.equal(results.get('after')!.stdout, 'fine\n');
  });

  it('runs nothing else when the gate fails, and reports the gate', async () => {
    const marker = path.join(work, 'ran');
    const commands = [{ name: 'touch', argv: ['touch', marker] }];
    const gate = { name: 'lock', argv: ['sh', '-c', 'echo held by ann; exit 3'] };
    const script = batchScript(commands, { gate });
    const r = await session.run(script.argv);
    const results = parseBatch(script, commands, r.stdout, { gate });
    assert.deepEqual(results.get('lock'), { code: 3, stdout: 'held by ann\n', stderr: '' });
    assert.equal(results.has('touch'), false);
    assert.ok(!existsSync(marker));
  });

  it('rejects command names that could collide', () => {
    assert.throws(() => batchScript([{ name: 'a', argv: ['true'] }, { name: 'a', argv: ['true'] }]), /repeated/);
    assert.throws(() => batchScript([{ name: 'a b', argv: ['true'] }]), /bad/);
  });

  it('allOf stops at the first failure', async () => {
    const r = await session.run(allOf([['true'], ['sh', '-c', 'exit 4'], ['touch', path.join(work, 'never')]]));
    assert.equal(r.code, 4);
    assert.ok(!existsSync(path.join(work, 'never')));
  });

  it('held: answers further commands sent on stdin, then runs onEnd on `release` only', async () => {
    const flag = path.join(work, 'released');
    mkdirSync(path.join(work, 'lock'));
    const gate = { name: 'lock', argv: ['true'] };
    const script = batchScript([{ name: 'first', argv: ['echo', 'one'] }], { gate, onEnd: ['touch', flag] });
    const child = spawn(script.argv[0]!, script.argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let wake = () => {};
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      wake();
    });
    const waitFor = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => (out.split(script.marker).length - 1 >= n ? resolve() : undefined);
        wake();
      });
    await waitFor(1);
    const first = parseBatch(script, [{ name: 'first', argv: [] }], out.split(script.marker)[0]!, { gate });
    assert.equal(first.get('first')!.stdout, 'one\n');
    // Two requests written back to back: neither may swallow the other.
    const req = (line: string) => `${Buffer.byteLength(line)}\n${line}`;
    child.stdin.write(req(`printf '%s' 'ü'\necho x >&2; exit 5`) + req('echo second'));
    await waitFor(3);
    const answers = out.split(script.marker).slice(1, 3).map((a) => parseBatch(script, [{ name: 'cmd', argv: [] }], a).get('cmd'));
    assert.deepEqual(answers[0], { code: 5, stdout: 'ü', stderr: 'x\n' });
    assert.deepEqual(answers[1], { code: 0, stdout: 'second\n', stderr: '' });
    assert.ok(!existsSync(flag), 'onEnd waits for release');
    child.stdin.end(HELD_RELEASE);
    await new Promise((r) => child.on('close', r));
    assert.ok(existsSync(flag));

    // Stdin ending without `release` (zkplan killed): onEnd does not run.
    const flag2 = path.join(work, 'released2');
    const script2 = batchScript([], { gate, onEnd: ['touch', flag2] });
    const child2 = spawn(script2.argv[0]!, script2.argv.slice(1), { stdio: ['pipe', 'ignore', 'inherit'] });
    child2.stdin.end();
    await new Promise((r) => child2.on('close', r));
    assert.ok(!existsSync(flag2), 'an interrupted holder keeps its lock');
  });
});
