// The per-ensemble deploy lock, taken on every host of the ensemble before anything changes.
import { hostname, userInfo } from 'node:os';
import { OperationalError } from '../common/problems.js';
import { acquireLock, ensembleLockDir, LOCK_EXIT, parseLockDetails, releaseLock } from '../remote/commands/lock.js';
import type { Sessions } from './sessions.js';

export interface HeldLock {
  release(): Promise<void>;
}

export async function lockEnsemble(sessions: Sessions, ensemble: string, command: string, forceUnlock: boolean): Promise<HeldLock> {
  const details = { lockedBy: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command };
  const dirOf = (host: string) => ensembleLockDir(sessions.get(host)!.host.stateDir, ensemble);
  const hosts = [...sessions.keys()];
  if (forceUnlock) await Promise.all(hosts.map((h) => sessions.get(h)!.run(releaseLock(dirOf(h)))));
  const results = await Promise.all(hosts.map(async (h) => ({ h, r: await sessions.get(h)!.run(acquireLock(dirOf(h), details)) })));
  const acquired = results.filter((x) => x.r.code === 0).map((x) => x.h);
  const release = async () => {
    await Promise.all(acquired.map((h) => sessions.get(h)!.run(releaseLock(dirOf(h)))));
  };
  const refused = results.filter((x) => x.r.code !== 0);
  if (refused.length > 0) {
    await release();
    const reasons = refused.map(({ h, r }) => {
      if (r.code !== LOCK_EXIT.held) return `${h}: cannot take the lock in ${dirOf(h)}: ${r.stderr.trim()}`;
      const holder = parseLockDetails(r.stdout);
      return `${h}: ensemble "${ensemble}" is locked by ${holder?.lockedBy ?? 'someone'} since ${holder?.since ?? 'an unknown time'} (${holder?.command ?? 'unknown command'}, pid ${holder?.pid ?? '?'})`;
    });
    throw new OperationalError(`${reasons.join('\n')}\nnothing was changed; if no zkplan is running, retry with --force-unlock`);
  }
  return { release };
}
