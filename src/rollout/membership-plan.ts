// The ensemble plan as one step of a membership change configures it: the planned servers of
// that step's membership, each naming exactly that membership in its server lines. A member the
// plan no longer has (one that leaves later in the change) is named as the servers reported it
// (`conf`), so its line stays as the running ensemble knows it. The last step's membership is the
// plan's: the result is then the plan itself, byte for byte. Pure.
import { serverDir } from '../plan/plan.js';
import type { EnsemblePlan, PlannedHost, ServerEntry, ServerPlan } from '../plan/types.js';
import type { ConfServer } from '../verify/four-letter-parse.js';
import type { MembershipMember } from './membership.js';

/** A server the plan no longer has, still running until its step: its container and host. */
export interface FormerPlace {
  id: number;
  name: string;
  host: PlannedHost;
}

/**
 * The servers of the step's membership that run in it: the planned ones, and the former ones
 * (they leave in a later step, and until then run with each step's membership too). A former
 * server is configured as the plan configures its peers (same image, settings, ports), under its
 * own id, container name, host and data directory.
 */
export function planForMembership(plan: EnsemblePlan, members: readonly MembershipMember[], reported: readonly ConfServer[], former: readonly FormerPlace[] = []): EnsemblePlan {
  const planned = new Set(plan.servers.map((s) => s.id));
  const inStep = new Map(members.map((m) => [m.id, m]));
  const template = plan.servers[0];
  const formerPlans: ServerPlan[] =
    template === undefined
      ? []
      : former.flatMap((f) => {
          const m = inStep.get(f.id);
          if (m === undefined || planned.has(f.id)) return [];
          const { dataLogDir: _log, ...base } = template;
          const log = plan.settings.dataLogDir;
          return [
            {
              ...base,
              id: f.id,
              role: m.role,
              name: f.name,
              host: f.host,
              dataDir: serverDir(plan.dataDir, plan.name, f.id),
              ...(log !== undefined ? { dataLogDir: serverDir(log, plan.name, f.id) } : {}),
              variable: `ZOOKEEPER_${f.id}`,
              config: { ...template.config, myid: f.id, peerType: m.role },
            },
          ];
        });
  const servers = [...plan.servers.filter((s) => inStep.get(s.id)?.role === s.role), ...formerPlans]
    .sort((a, b) => a.id - b.id)
    .map((s) => withMembers(s, members, planned, reported));
  return { ...plan, servers };
}

function withMembers(s: ServerPlan, members: readonly MembershipMember[], planned: ReadonlySet<number>, reported: readonly ConfServer[]): ServerPlan {
  const modern = s.config.servers.some((e) => e.clientPort !== undefined);
  const entries: ServerEntry[] = members.map((m) => {
    if (planned.has(m.id)) {
      const own = s.config.servers.find((e) => e.id === m.id);
      if (own === undefined) throw new Error(`internal error: server.${m.id} is planned but not in the server lines of server.${s.id}`);
      return own;
    }
    const r = reported.find((x) => x.id === m.id);
    if (r === undefined) throw new Error(`internal error: server.${m.id} is neither planned nor reported by the running ensemble`);
    return {
      id: m.id,
      address: { kind: 'host', variable: `ZOOKEEPER_${m.id}`, value: r.address },
      quorumPort: r.quorumPort,
      electionPort: r.electionPort ?? r.quorumPort + 1000,
      role: m.role,
      ...(modern ? { clientPort: r.clientPort ?? s.ports.client } : {}),
    };
  });
  return { ...s, config: { ...s.config, servers: entries } };
}
