// What runs now: zkplan's containers on each host and, for the running ones, their role.
import type { EnsemblePlan } from '../plan/types.js';
import { inspectContainers } from '../remote/commands/docker.js';
import { LABEL_HASH, LABEL_PORTS, LABEL_SERVER, type DesiredContainer } from '../rollout/desired.js';
import type { ObservedContainer } from '../rollout/rollout.js';
import type { Dial } from '../verify/dial.js';
import { probeServer } from '../verify/ensemble.js';
import type { Sessions } from './sessions.js';

interface DockerInspect {
  Name: string;
  State: { Running: boolean; Status: string; ExitCode: number };
  RestartCount?: number;
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null };
}

export interface ObservedState {
  byServer: Map<number, ObservedContainer & { status?: string }>;
}

/** One `docker container inspect` per host for all of that host's servers. */
export async function inspectEnsemble(sessions: Sessions, desired: readonly DesiredContainer[]): Promise<Map<number, ObservedContainer & { status?: string }>> {
  const byHost = new Map<string, DesiredContainer[]>();
  for (const d of desired) byHost.set(d.host, [...(byHost.get(d.host) ?? []), d]);
  const observed = new Map<number, ObservedContainer & { status?: string }>();
  await Promise.all(
    [...byHost].map(async ([host, containers]) => {
      const result = await sessions.get(host)!.run(inspectContainers(containers.map((c) => c.name)));
      // exit 1 when some names are missing; stdout still holds the ones found
      const found: DockerInspect[] = result.stdout.trim().startsWith('[') ? JSON.parse(result.stdout) : [];
      if (result.code !== 0 && !/No such (container|object)/i.test(result.stderr)) {
        throw new Error(`${host}: docker container inspect failed: ${result.stderr.trim()}`);
      }
      for (const c of containers) {
        const info = found.find((f) => f.Name === `/${c.name}`);
        const labels = info?.Config.Labels ?? {};
        observed.set(
          c.serverId,
          info
            ? {
                exists: true,
                running: info.State.Running,
                status: info.State.Status,
                restartCount: info.RestartCount ?? 0,
                exitCode: info.State.ExitCode,
                image: info.Config.Image,
                env: info.Config.Env ?? [],
                ...(labels[LABEL_HASH] ? { configHash: labels[LABEL_HASH] } : {}),
                ...(labels[LABEL_PORTS] !== undefined ? { ports: labels[LABEL_PORTS].split(',').filter(Boolean).map(Number) } : {}),
                ...(labels[LABEL_SERVER] && labels[LABEL_SERVER] !== String(c.serverId) ? { configHash: 'foreign' } : {}),
              }
            : { exists: false, running: false },
        );
      }
    }),
  );
  return observed;
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
