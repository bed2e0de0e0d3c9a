// The per-ensemble deploy lock, taken on every host of the ensemble before anything changes.
// Taking it shares one exec per host with the read-only checks that follow it (inspect,
// preflight), and that exec stays open until the release: it runs the deploy's commands and
// releases on a word sent to its stdin, so the host's login shell starts once (see
// src/remote/batch.ts). If zkplan dies, the exec ends without releasing: like a lock taken by a
// plain exec, an interrupted run's lock stays until --force-unlock.
import { hostname, userInfo } from 'node:os';
import { OperationalError } from '../common/problems.js';
import { batchScript, HELD_RELEASE, parseBatch, runBatch, runInHeld, type BatchCommand, type BatchOptions } from '../remote/batch.js';
import {
  acquireLock,
  ensembleLockDir,
  forceAcquireLock,
  LOCK_EXIT,
  parseLockDetails,
  releaseOwnLock,
  type LockDetails,
} from '../remote/commands/lock.js';
import type { HostSession, RunResult } from '../remote/session.js';
import { acquireLockFiles, releaseOwnLockFiles } from '../remote/sftp-lock.js';
import type { Sessions } from './sessions.js';

export interface HeldLock {
  release(): Promise<void>;
}

export interface HostResults {
  results: Map<string, RunResult>;
  /** Local clock when the exec started and when its results arrived (clock skew bounds). */
  startedAt: number;
  answeredAt: number;
}

export interface LockedChecks {
  lock?: HeldLock;
  byHost: Map<string, HostResults>;
  /**
   * Runs a command on a host through the exec that holds the lock when there is one (no new
   * shell start), one at a time per host; otherwise as a new exec.
   */
  run(host: string, argv: readonly string[]): Promise<RunResult>;
}

const FIRST_ANSWER_TIMEOUT_MS = 120_000;

export async function lockEnsemble(sessions: Sessions, ensemble: string, command: string, forceUnlock: boolean): Promise<HeldLock> {
  const { lock } = await lockAndRun(sessions, ensemble, { command, forceUnlock, lock: true }, () => []);
  return lock!;
}

/**
 * Takes the lock (unless `lock` is false: a dry run) and runs each host's commands, one exec per
 * host, all hosts at once. Refuses with who holds the lock when any host is locked.
 */
export async function lockAndRun(
  sessions: Sessions,
  ensemble: string,
  opts: { command: string; forceUnlock: boolean; lock: boolean },
  commandsOf: (host: string) => BatchCommand[],
): Promise<LockedChecks> {
  const details: LockDetails = { lockedBy: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command: opts.command };
  const dirOf = (host: string) => ensembleLockDir(sessions.get(host)!.host.stateDir, ensemble);
  const hosts = [...sessions.keys()];

  const settled = await Promise.allSettled(
    hosts.map(async (h) => {
      const session = sessions.get(h)!;
      const commands = commandsOf(h);
      if (!opts.lock) {
        const startedAt = Date.now();
        const results = await runBatch(session, commands, { timeoutMs: FIRST_ANSWER_TIMEOUT_MS });
        return { h, startedAt, answeredAt: Date.now(), results, release: async () => {}, run: undefined };
      }
      const dir = dirOf(h);
      const batch: BatchOptions = {
        gate: { name: 'lock', argv: opts.forceUnlock ? forceAcquireLock(dir, details) : acquireLock(dir, details) },
        onEnd: releaseOwnLock(dir, details),
      };
      return { h, ...(await runLocked(session, commands, batch, releaseOwnLock(dir, details))) };
    }),
  );

  const running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const acquired = running.filter((x) => !opts.lock || x.results.get('lock')?.code === 0);
  const release = async () => {
    await Promise.allSettled(running.map((x) => x.release()));
  };
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${hosts[i]}: ${(s.reason as Error).message}`] : []));
  const refused = running.filter((x) => !acquired.includes(x));
  if (failures.length > 0 || refused.length > 0) {
    await release();
    const reasons = refused.map(({ h, results }) => {
      const r = results.get('lock') ?? { code: 1, stdout: '', stderr: 'the lock command did not run' };
      if (r.code !== LOCK_EXIT.held) return `${h}: cannot take the lock in ${dirOf(h)}: ${r.stderr.trim()}`;
      return lockedBy(h, ensemble, parseLockDetails(r.stdout));
    });
    if (failures.length > 0 && refused.length === 0) {
      throw new OperationalError(`${failures.join('\n')}\nnothing was changed`);
    }
    throw new OperationalError(`${[...reasons, ...failures].join('\n')}\nnothing was changed; if no zkplan is running, retry with --force-unlock`);
  }
  const runners = new Map(running.map((x) => [x.h, x.run]));
  const run = (host: string, argv: readonly string[]) => runners.get(host)?.(argv) ?? sessions.get(host)!.run(argv);
  return {
    ...(opts.lock ? { lock: { release } } : {}),
    byHost: new Map(running.map((x) => [x.h, { results: x.results, startedAt: x.startedAt, answeredAt: x.answeredAt }])),
    run,
  };
}

/** Why a lock was refused: who holds it, since when, for what. */
export function lockedBy(host: string, ensemble: string, holder: Partial<LockDetails> | undefined): string {
  return `${host}: ensemble "${ensemble}" is locked by ${holder?.lockedBy ?? 'someone'} since ${holder?.since ?? 'an unknown time'} (${holder?.command ?? 'unknown command'}, pid ${holder?.pid ?? '?'})`;
}

/**
 * The lock on one host over SFTP (src/remote/sftp-lock.ts: the same directory and details file
 * as the exec's, so either excludes the other): no process starts on the host. Refuses naming
 * the holder, nothing changed.
 */
export async function lockOverSftp(session: HostSession, ensemble: string, opts: { command: string; forceUnlock: boolean }): Promise<HeldLock> {
  const host = session.host.name;
  const files = await session.files!();
  const dir = ensembleLockDir(session.host.stateDir, ensemble);
  const details: LockDetails = { lockedBy: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command: opts.command };
  const attempt = await acquireLockFiles(files, dir, details, { force: opts.forceUnlock }).catch((err: Error) => {
    throw new OperationalError(`${host}: cannot take the lock in ${dir}: ${err.message}\nnothing was changed`);
  });
  if (!attempt.acquired) throw new OperationalError(`${lockedBy(host, ensemble, attempt.holder)}\nnothing was changed; if no zkplan is running, retry with --force-unlock`);
  return { release: () => releaseOwnLockFiles(files, dir, details) };
}

/**
 * One exec kept open on the host that runs commands sent to it one at a time, so the login
 * shell starts once for all of them; released (ended) with the lock. A transport without held
 * commands runs each as an exec of its own.
 */
export async function heldShell(session: HostSession): Promise<{ run(argv: readonly string[]): Promise<RunResult>; release(): Promise<void> }> {
  const own = { run: (argv: readonly string[]) => session.run(argv), release: async () => {} };
  if (!session.runHeld) return own;
  const held = await runLocked(session, [], { onEnd: ['true'] }, ['true']);
  return { run: held.run ?? own.run, release: held.release };
}

async function runLocked(
  session: HostSession,
  commands: readonly BatchCommand[],
  batch: BatchOptions,
  releaseArgv: readonly string[],
): Promise<{
  results: Map<string, RunResult>;
  startedAt: number;
  answeredAt: number;
  release: () => Promise<void>;
  run: ((argv: readonly string[]) => Promise<RunResult>) | undefined;
}> {
  const startedAt = Date.now();
  if (session.runHeld) {
    const script = batchScript(commands, batch);
    const held = await session.runHeld(script.argv, script.marker, { timeoutMs: FIRST_ANSWER_TIMEOUT_MS });
    const answeredAt = Date.now();
    if (held.exited && !held.first.stdout.includes(script.token)) {
      throw new Error(`cannot run the lock and checks (exit ${held.first.code}): ${held.first.stderr.trim().split('\n')[0] ?? ''}`);
    }
    const results = parseBatch(script, commands, held.first.stdout, batch);
    return {
      results,
      startedAt,
      answeredAt,
      release: async () => {
        await held.end(HELD_RELEASE);
      },
      run: held.exited ? undefined : (argv) => runInHeld(held, script, argv),
    };
  }
  // A transport without held commands: the same script, then a second exec to release.
  const script = batchScript(commands, { gate: batch.gate! });
  const r = await session.run(script.argv, { timeoutMs: FIRST_ANSWER_TIMEOUT_MS });
  const answeredAt = Date.now();
  if (!r.stdout.includes(script.marker)) throw new Error(`cannot run the lock and checks (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  const results = parseBatch(script, commands, r.stdout, { gate: batch.gate! });
  const acquired = results.get('lock')?.code === 0;
  return {
    results,
    startedAt,
    answeredAt,
    release: async () => {
      if (acquired) await session.run(releaseArgv);
    },
    run: undefined,
  };
}
