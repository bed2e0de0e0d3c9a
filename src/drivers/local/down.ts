// zkplan down: removes what `up --local` made for an ensemble, found by its labels rather than by
// the current plan, so servers dropped from the inventory since are removed too. Followers go
// first and the leader last; the network goes only if zkplan created it; data volumes only when
// purging.
import type { EnsemblePlan } from '../../plan/types.js';
import { forceRemoveContainers, listContainers, listNetworks, listVolumes, removeNetwork, removeVolumes } from '../../remote/commands/docker-local.js';
import { runChecked, type HostSession } from '../../remote/session.js';
import { directDialWithTimeout } from '../../verify/dial.js';
import { probeServer } from '../../verify/ensemble.js';
import type { Progress } from '../progress.js';
import { localMembers, ownerLabels } from './desired.js';

export interface LocalDownOptions {
  purgeData: boolean;
}

export interface LocalDownReport {
  ensemble: string;
  /** in removal order */
  containers: string[];
  networks: string[];
  volumesRemoved: string[];
  volumesKept: string[];
}

const PROBE_TIMEOUT_MS = 1500;

export async function downLocal(ensemble: EnsemblePlan, session: HostSession, progress: Progress, opts: LocalDownOptions): Promise<LocalDownReport> {
  const host = session.host.name;
  const labels = ownerLabels(ensemble.name);
  const names = lines((await runChecked(session, listContainers(labels))).stdout);

  const dial = directDialWithTimeout(PROBE_TIMEOUT_MS);
  const modes = new Map<string, string | null>();
  await Promise.all(
    localMembers(ensemble)
      .map((m) => ({ m, name: ensemble.servers.find((s) => s.id === m.id)!.name }))
      .filter(({ name }) => names.includes(name))
      .map(async ({ m, name }) => modes.set(name, (await probeServer(m, dial, PROBE_TIMEOUT_MS)).mode)),
  );
  const rank = (name: string) => (modes.get(name) === 'leader' ? 2 : modes.get(name) ? 1 : 0);
  const order = [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }));
  for (const name of order) {
    await runChecked(session, forceRemoveContainers([name]));
    progress.step(host, 'remove', 'ok', `${name}${modes.get(name) ? ` (${modes.get(name)})` : ''}`);
  }

  const networks = lines((await runChecked(session, listNetworks(labels))).stdout);
  for (const n of networks) {
    await runChecked(session, removeNetwork(n));
    progress.step(host, 'network', 'ok', `removed ${n}`);
  }

  const volumes = lines((await runChecked(session, listVolumes(labels))).stdout);
  if (opts.purgeData && volumes.length > 0) {
    await runChecked(session, removeVolumes(volumes));
    progress.step(host, 'purge', 'ok', volumes.join(' '));
  }
  return {
    ensemble: ensemble.name,
    containers: order,
    networks,
    volumesRemoved: opts.purgeData ? volumes : [],
    volumesKept: opts.purgeData ? [] : volumes,
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
