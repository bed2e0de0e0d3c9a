// What runs now: zkplan's containers on each host and, for the running ones, their role.
import type { EnsemblePlan } from '../plan/types.js';
import { inspectContainers } from '../remote/commands/docker.js';
import { missing, parseContainerInspect } from '../drivers/inspect.js';
import { LABEL_SERVER, type DesiredContainer } from '../rollout/desired.js';
import type { ObservedContainer } from '../rollout/rollout.js';
import type { Dial } from '../verify/dial.js';
import { probeServer } from '../verify/ensemble.js';
import type { BatchCommand } from '../remote/batch.js';
import type { RunResult } from '../remote/session.js';
import type { Sessions } from './sessions.js';

export interface ObservedState {
  byServer: Map<number, ObservedContainer & { status?: string }>;
}

type Observed = ObservedContainer & { status?: string };

/** The inspect command for one host's containers, to run alone or in a batch. */
export function inspectCommand(containers: readonly DesiredContainer[]): BatchCommand {
  return { name: 'inspect', argv: inspectContainers(containers.map((c) => c.name)) };
}

/** One `docker container inspect` per host for all of that host's servers. */
export async function inspectEnsemble(sessions: Sessions, desired: readonly DesiredContainer[]): Promise<Map<number, Observed>> {
  const observed = new Map<number, Observed>();
  await Promise.all(
    [...byHost(desired)].map(async ([host, containers]) => {
      const result = await sessions.get(host)!.run(inspectCommand(containers).argv);
      addObserved(observed, host, containers, result);
    }),
  );
  return observed;
}

/** The same from results already fetched (the apply batch), host by host. */
export function observedFrom(desired: readonly DesiredContainer[], resultOf: (host: string) => RunResult | undefined): Map<number, Observed> {
  const observed = new Map<number, Observed>();
  for (const [host, containers] of byHost(desired)) {
    const result = resultOf(host);
    if (!result) throw new Error(`${host}: docker container inspect did not run`);
    addObserved(observed, host, containers, result);
  }
  return observed;
}

function byHost(desired: readonly DesiredContainer[]): Map<string, DesiredContainer[]> {
  const m = new Map<string, DesiredContainer[]>();
  for (const d of desired) m.set(d.host, [...(m.get(d.host) ?? []), d]);
  return m;
}

function addObserved(observed: Map<number, Observed>, host: string, containers: readonly DesiredContainer[], result: RunResult): void {
  const found = parseContainerInspect(result, host);
  for (const c of containers) {
    const info = found.get(c.name);
    observed.set(
      c.serverId,
      info
        ? { ...info.observed, ...(info.labels[LABEL_SERVER] && info.labels[LABEL_SERVER] !== String(c.serverId) ? { configHash: 'foreign' } : {}) }
        : missing(),
    );
  }
}

/** Adds each running server's mode (`srvr`) to what inspection found. */
export async function probeModes(ensemble: EnsemblePlan, observed: Map<number, ObservedContainer>, dial: Dial, timeoutMs: number): Promise<void> {
  await Promise.all(
    ensemble.servers
      .filter((s) => observed.get(s.id)?.running)
      .map(async (s) => {
        const probe = await probeServer({ id: s.id, role: s.role, address: s.host.address, port: s.ports.client }, dial, timeoutMs);
        if (probe.mode) observed.get(s.id)!.mode = probe.mode;
      }),
  );
}
