// What runs now: zkplan's containers on each host, from `docker container inspect`.
import { missing, parseContainerInspect } from '../inspect.js';
import { inspectContainers } from '../../remote/commands/docker.js';
import { LABEL_SERVER, type DesiredContainer } from '../../rollout/desired.js';
import type { ObservedServer } from '../../rollout/rollout.js';
import type { BatchCommand } from '../../remote/batch.js';
import type { RunResult } from '../../remote/session.js';

/** The inspect command for one host's containers, to run alone or in a batch. */
export function inspectCommand(containers: readonly DesiredContainer[]): BatchCommand {
  return { name: 'inspect', argv: inspectContainers(containers.map((c) => c.name)) };
}

/** What inspection found, from each host's `docker container inspect` result (the lock's batch, or a later inspect). */
export function observedFrom(desired: readonly DesiredContainer[], resultOf: (host: string) => RunResult | undefined): Map<number, ObservedServer> {
  const observed = new Map<number, ObservedServer>();
  for (const [host, containers] of byHost(desired)) {
    const result = resultOf(host);
    if (!result) throw new Error(`${host}: docker container inspect did not run`);
    const found = parseContainerInspect(result, host);
    for (const c of containers) {
      const info = found.get(c.name);
      observed.set(
        c.serverId,
        info ? { ...info.observed, ...(info.labels[LABEL_SERVER] && info.labels[LABEL_SERVER] !== String(c.serverId) ? { configHash: 'foreign' } : {}) } : missing(),
      );
    }
  }
  return observed;
}

function byHost(desired: readonly DesiredContainer[]): Map<string, DesiredContainer[]> {
  const m = new Map<string, DesiredContainer[]>();
  for (const d of desired) m.set(d.host, [...(m.get(d.host) ?? []), d]);
  return m;
}
