// What the local engine has now: the ensemble's network and containers, read with `docker inspect`.
import { OperationalError } from '../../common/problems.js';
import type { DockerNetworkPlan } from '../../plan/types.js';
import { inspectContainers } from '../../remote/commands/docker.js';
import { inspectNetwork } from '../../remote/commands/docker-local.js';
import type { HostSession } from '../../remote/session.js';
import { missing, parseContainerInspect } from '../../drivers/inspect.js';
import type { DesiredServer, ObservedServer } from '../../engine/driver.js';
import { LABEL_ENSEMBLE, LABEL_SERVER } from '../../rollout/desired.js';
import { LABEL_LOCAL } from './desired.js';

interface NetworkInspect {
  Name: string;
  Driver: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null };
  Labels?: Record<string, string> | null;
}

export interface ObservedNetwork {
  exists: boolean;
  /** created by `zkplan up --local` for this ensemble (and so removed by `down`) */
  ours: boolean;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

export async function observeNetwork(session: HostSession, name: string, ensemble: string): Promise<ObservedNetwork> {
  const r = await session.run(inspectNetwork(name));
  if (r.code !== 0) {
    if (/not found|no such network/i.test(r.stderr)) return { exists: false, ours: false };
    throw new OperationalError(`${session.host.name}: docker network inspect ${name} failed: ${r.stderr.trim()}`);
  }
  const info = (JSON.parse(r.stdout) as NetworkInspect[])[0];
  if (!info) return { exists: false, ours: false };
  const labels = info.Labels ?? {};
  const cfg = info.IPAM?.Config?.[0] ?? {};
  if (info.Driver !== 'bridge' || ['bridge', 'host', 'none'].includes(info.Name)) {
    throw new OperationalError(
      `network ${name} exists with driver ${info.Driver}${info.Name === 'bridge' ? ' (the default bridge, which resolves no container names)' : ''}; ` +
        'up --local needs a user-defined bridge network: name another one in docker_network.name',
    );
  }
  return {
    exists: true,
    ours: labels[LABEL_LOCAL] === 'true' && labels[LABEL_ENSEMBLE] === ensemble,
    ...(cfg.Subnet ? { subnet: cfg.Subnet } : {}),
    ...(cfg.Gateway ? { gateway: cfg.Gateway } : {}),
    ...(cfg.IPRange ? { ipRange: cfg.IPRange } : {}),
  };
}

/** Settings the plan names that the existing network contradicts (empty: usable as it is). */
export function networkMismatches(plan: DockerNetworkPlan, seen: ObservedNetwork): string[] {
  const out: string[] = [];
  const check = (what: string, want: string | undefined, got: string | undefined) => {
    if (want !== undefined && want !== got) out.push(`${what} ${got ?? '(none)'}, the plan says ${want}`);
  };
  check('subnet', plan.subnet, seen.subnet);
  check('gateway', plan.gateway, seen.gateway);
  check('ip-range', plan.ipRange, seen.ipRange);
  return out;
}

/** One `docker container inspect` for every server; containers not made by `up --local` for this ensemble are marked foreign. */
export async function observeContainers(session: HostSession, desired: readonly DesiredServer[], ensemble: string): Promise<Map<number, ObservedServer>> {
  const found = parseContainerInspect(await session.run(inspectContainers(desired.map((d) => d.name))), session.host.name);
  const observed = new Map<number, ObservedServer>();
  for (const d of desired) {
    const info = found.get(d.name);
    if (!info) {
      observed.set(d.serverId, missing());
      continue;
    }
    const foreign = info.labels[LABEL_LOCAL] !== 'true' || info.labels[LABEL_ENSEMBLE] !== ensemble || info.labels[LABEL_SERVER] !== String(d.serverId);
    observed.set(d.serverId, { ...info.observed, ...(foreign ? { foreign: true } : {}) });
  }
  return observed;
}
