// zkplan destroy: removes the containers, followers first and the leader last; data stays
// on the hosts unless purging.
import type { EnsemblePlan } from '../plan/types.js';
import { removeContainer } from '../remote/commands/docker.js';
import { removeEmptyDirectories, removePaths } from '../remote/commands/host.js';
import { runChecked } from '../remote/session.js';
import { desiredContainers, ensembleStateDir } from '../rollout/desired.js';
import { probeEnsemble } from '../verify/ensemble.js';
import { inspectEnsemble } from './inspect.js';
import { lockEnsemble } from './lock.js';
import type { Progress } from './progress.js';
import { tunnelDial, verifyMembers, type Sessions } from './sessions.js';

export interface DestroyOptions {
  purgeData: boolean;
  forceUnlock: boolean;
  command: string;
}

export async function destroyEnsemble(ensemble: EnsemblePlan, sessions: Sessions, progress: Progress, opts: DestroyOptions): Promise<string[]> {
  const stateDirOf = (h: string) => sessions.get(h)!.host.stateDir;
  const desired = desiredContainers(ensemble, stateDirOf);
  const lock = await lockEnsemble(sessions, ensemble.name, opts.command, opts.forceUnlock);
  try {
    const probe = await probeEnsemble(verifyMembers(ensemble), tunnelDial(sessions), 1500);
    const rank = (id: number) => {
      const mode = probe.servers.find((s) => s.id === id)?.mode;
      return mode === 'leader' ? 2 : mode === 'follower' || mode === 'observer' ? 1 : 0;
    };
    const order = [...desired].sort((a, b) => rank(a.serverId) - rank(b.serverId) || a.serverId - b.serverId);
    const observed = await inspectEnsemble(sessions, desired);
    const removed: string[] = [];
    for (const d of order) {
      // Only what exists is reported as removed: a second destroy removes nothing.
      if (!observed.get(d.serverId)?.exists) {
        progress.step(d.host, 'remove', 'skip', `${d.name}: no container`);
        continue;
      }
      progress.step(d.host, 'remove', 'start', d.name);
      await runChecked(sessions.get(d.host)!, removeContainer(d.name));
      progress.step(d.host, 'remove', 'ok', d.name);
      removed.push(`${d.host}/${d.name}`);
    }
    const hosts = [...new Set(desired.map((d) => d.host))];
    await Promise.all(
      hosts.map(async (h) => {
        // Each server's directory (<data_dir>/<ensemble>/<id>) is zkplan's own: purge it whole,
        // not just the mounted subdirectories, and the ensemble directory once it is empty.
        const dataDirs = opts.purgeData ? ensemble.servers.filter((s) => s.host.name === h).map((s) => s.dataDir) : [];
        await runChecked(sessions.get(h)!, removePaths([ensembleStateDir(stateDirOf(h), ensemble.name), ...dataDirs]));
        if (opts.purgeData) {
          await runChecked(sessions.get(h)!, removeEmptyDirectories([...new Set(dataDirs.map(parentDir))]));
          progress.step(h, 'purge', 'ok', dataDirs.join(' '));
        }
      }),
    );
    return removed;
  } finally {
    await lock.release();
  }
}

function parentDir(p: string): string {
  return p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
}
