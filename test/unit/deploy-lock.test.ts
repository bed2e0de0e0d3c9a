import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { lockAndRun, lockEnsemble } from '../../src/drivers/lock.js';
import type { Sessions } from '../../src/drivers/sessions.js';
import type { Host } from '../../src/inventory/types.js';
import { LocalSession } from '../../src/remote/local-executor.js';

// LocalSession has no held commands: this is the two-exec fallback of the deploy lock.
const work = mkdtempSync(path.join(tmpdir(), 'zkplan-lock-'));
after(() => rmSync(work, { recursive: true, force: true }));
const host = (name: string) => ({ name, address: '127.0.0.1', stateDir: path.join(work, name), labels: {}, ssh: {} }) as unknown as Host;
const sessions: Sessions = new Map(['a', 'b'].map((n) => [n, new LocalSession(host(n))]));
const lockDir = (h: string) => path.join(work, h, 'locks', 'zk', 'lock');

describe('deploy lock with checks, without held commands', () => {
  it('takes the lock everywhere, runs each host its checks, and releases', async () => {
    const { lock, byHost, run } = await lockAndRun(sessions, 'zk', { command: 'zkplan apply x.yml', forceUnlock: false, lock: true }, (h) => [
      { name: 'who', argv: ['echo', h] },
    ]);
    assert.ok(existsSync(lockDir('a')) && existsSync(lockDir('b')));
    assert.equal(byHost.get('a')!.results.get('who')!.stdout, 'a\n');
    assert.equal(byHost.get('b')!.results.get('who')!.stdout, 'b\n');
    assert.equal((await run('b', ['echo', 'later'])).stdout, 'later\n');
    await lock!.release();
    assert.ok(!existsSync(lockDir('a')) && !existsSync(lockDir('b')));
  });

  it('refuses while held, naming the holder, leaves the holder its lock, and --force-unlock breaks it', async () => {
    const first = await lockEnsemble(sessions, 'zk', 'zkplan apply first.yml', false);
    await assert.rejects(lockEnsemble(sessions, 'zk', 'zkplan destroy x.yml', false), /locked by .* \(zkplan apply first\.yml, pid \d+\)/);
    assert.ok(existsSync(lockDir('a')) && existsSync(lockDir('b')), 'the refused run must not free the holder');
    const second = await lockEnsemble(sessions, 'zk', 'zkplan apply second.yml', true);
    // The first holder's release must not free the lock the second one took.
    await first.release();
    assert.ok(existsSync(lockDir('a')) && existsSync(lockDir('b')));
    await second.release();
    assert.ok(!existsSync(lockDir('a')) && !existsSync(lockDir('b')));
  });

  it('dry run: checks without a lock', async () => {
    const { lock, byHost } = await lockAndRun(sessions, 'zk', { command: 'zkplan apply --dry-run', forceUnlock: false, lock: false }, () => [
      { name: 'ok', argv: ['true'] },
    ]);
    assert.equal(lock, undefined);
    assert.equal(byHost.get('a')!.results.get('ok')!.code, 0);
    assert.ok(!existsSync(lockDir('a')));
  });
});
