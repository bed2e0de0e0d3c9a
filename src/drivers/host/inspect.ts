// What runs now: zkplan's containers on each host, from `docker container inspect`.
import { inspectContainers } from '../../remote/commands/docker.js';
import { LABEL_HASH, LABEL_PORTS, LABEL_SERVER, type DesiredContainer } from '../../rollout/desired.js';
import type { ObservedServer } from '../../rollout/rollout.js';
import type { BatchCommand } from '../../remote/batch.js';
import type { RunResult } from '../../remote/session.js';

interface DockerInspect {
  Name: string;
  State: { Running: boolean; Status: string; ExitCode: number };
  RestartCount?: number;
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null };
}

type Observed = ObservedServer & { status?: string };

/** The inspect command for one host's containers, to run alone or in a batch. */
export function inspectCommand(containers: readonly DesiredContainer[]): BatchCommand {
  return { name: 'inspect', argv: inspectContainers(containers.map((c) => c.name)) };
}

/** What inspection found, from each host's `docker container inspect` result (the lock's batch, or a later inspect). */
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
}
