import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  acquireLock,
  ensembleLockDir,
  formatLockDetails,
  LOCK_EXIT,
  lockStatus,
  parseLockDetails,
  releaseLock,
  type LockDetails,
} from '../../src/remote/commands/lock.js';
import { shellCommand } from '../../src/common/shell.js';

const details: LockDetails = { lockedBy: 'ann@laptop', pid: 4242, since: '2024-05-01T10:00:00.000Z', command: 'zkplan deploy prod.yaml' };

describe('lock command builders', () => {
  it('build argv arrays that carry values as positional parameters', () => {
    const argv = acquireLock('/var/lib/zkplan/locks/prod', details);
    assert.equal(argv.length, 6);
    assert.deepEqual([argv[0], argv[1], argv[3], argv[4]], ['sh', '-c', 'zkplan-lock', '/var/lib/zkplan/locks/prod']);
    assert.equal(argv[5], 'locked_by: ann@laptop\npid: 4242\nsince: 2024-05-01T10:00:00.000Z\ncommand: zkplan deploy prod.yaml');
    assert.ok(!argv[2]!.includes('/var/lib'), 'the directory is not part of the script');
    assert.deepEqual(lockStatus('/d').slice(3), ['zkplan-lock', '/d']);
    assert.deepEqual(releaseLock('/d').slice(3), ['zkplan-lock', '/d']);
    assert.match(releaseLock('/d')[2]!, /rm -rf -- "\$1\/lock"/);
  });

  it('formats and parses details, flattening newlines', () => {
    const text = formatLockDetails({ ...details, command: 'zkplan deploy\npid: 1' });
    assert.equal(text.split('\n').length, 4);
    assert.deepEqual(parseLockDetails(text), { ...details, command: 'zkplan deploy pid: 1' });
  });

  it('builds per-ensemble directories and refuses path tricks', () => {
    assert.equal(ensembleLockDir('/var/lib/zkplan/', 'prod'), '/var/lib/zkplan/locks/prod');
    assert.throws(() => ensembleLockDir('/s', '../etc'), /invalid ensemble/);
    assert.throws(() => ensembleLockDir('/s', ''), /invalid ensemble/);
  });
});

describe('lock scripts under a real /bin/sh', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'zkplan-lock-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  // Run exactly as the SSH executor would: one command line through a shell.
  const sh = (argv: string[]) => spawnSync('/bin/sh', ['-c', shellCommand(argv)], { encoding: 'utf8' });
  const dir = path.join(scratch, `it's a $(dir)`, 'locks', 'prod');

  it('acquires once, reports the holder, releases', () => {
    assert.equal(sh(lockStatus(dir)).status, LOCK_EXIT.notHeld);
    const first = sh(acquireLock(dir, details));
    assert.equal(first.status, 0, first.stderr);
    const second = sh(acquireLock(dir, { ...details, lockedBy: 'bob@desk' }));
    assert.equal(second.status, LOCK_EXIT.held);
    assert.deepEqual(parseLockDetails(second.stdout), details);
    const status = sh(lockStatus(dir));
    assert.equal(status.status, 0);
    assert.equal(parseLockDetails(status.stdout).lockedBy, 'ann@laptop');
    assert.equal(sh(releaseLock(dir)).status, 0);
    assert.equal(sh(lockStatus(dir)).status, LOCK_EXIT.notHeld);
    assert.equal(sh(releaseLock(dir)).status, 0, 'releasing a free lock is fine');
  });

  it('lets exactly one of many concurrent acquirers win', async () => {
    const { spawn } = await import('node:child_process');
    const runs = Array.from({ length: 12 }, (_, i) =>
      new Promise<number>((resolve) => {
        const p = spawn('/bin/sh', ['-c', shellCommand(acquireLock(dir, { ...details, pid: i }))]);
        p.on('close', (code) => resolve(code ?? -1));
      }),
    );
    const codes = await Promise.all(runs);
    assert.equal(codes.filter((c) => c === 0).length, 1);
    assert.equal(codes.filter((c) => c === LOCK_EXIT.held).length, 11);
    sh(releaseLock(dir));
  });

  it('fails (not "held") when the directory cannot be created', () => {
    const r = sh(acquireLock('/proc/zkplan-cannot-exist/lock-test', details));
    assert.notEqual(r.status, 0);
    assert.notEqual(r.status, LOCK_EXIT.held);
    assert.ok(!existsSync('/proc/zkplan-cannot-exist'));
  });
});
