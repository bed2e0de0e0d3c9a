// zkplan status --target swarm: per server its service, where its task runs, its role, zxid
// and drift from the plan; plus services zkplan no longer plans and node labels out of place.
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { Templates } from '../../render/types.js';
import { judgeEnsemble, probeEnsemble } from '../../verify/ensemble.js';
import { tunnelDial, type Sessions } from '../../drivers/sessions.js';
import { managerSession } from './apply.js';
import { planLabels } from './nodes.js';
import { membersAt, observeStack, observeSwarm } from './observe.js';
import { desiredStack } from './stack.js';

export interface SwarmServerStatus {
  id: number;
  role: string;
  host: string;
  service: string;
  task: string;
  runningOn: string | null;
  mode: string | null;
  zxid: string | null;
  drift: string[];
}

export interface SwarmEnsembleStatus {
  ensemble: string;
  target: 'swarm';
  ok: boolean;
  servers: SwarmServerStatus[];
  problems: string[];
}

export async function swarmEnsembleStatus(inventory: Inventory, ensemble: EnsemblePlan, sessions: Sessions, templates: Templates, timeoutMs: number): Promise<SwarmEnsembleStatus> {
  const manager = managerSession(inventory, sessions);
  const stack = desiredStack(ensemble, templates);
  const swarm = await observeSwarm(manager, inventory);
  if (!swarm.active || !swarm.isManager || swarm.error) {
    const why = swarm.error ?? (!swarm.active ? 'not part of an active Swarm' : 'a worker, not a manager');
    return { ensemble: ensemble.name, target: 'swarm', ok: false, servers: [], problems: [`${manager.host.name}: ${why}`] };
  }
  const observed = await observeStack(manager, ensemble, stack, swarm);
  const at = new Map([...observed.byServer].filter(([, o]) => o.running && o.runningOn !== undefined && sessions.has(o.runningOn)).map(([id, o]) => [id, o.runningOn!]));
  const members = membersAt(ensemble, sessions, at);
  const probe = await probeEnsemble(members, tunnelDial(sessions), timeoutMs);
  const verdict = judgeEnsemble(members, probe);
  const servers = stack.services.map((s) => {
    const o = observed.byServer.get(s.serverId)!;
    const p = probe.servers.find((x) => x.id === s.serverId);
    const drift: string[] = [];
    if (!o.exists) drift.push('service missing');
    else {
      if (!o.running) drift.push(`no running task${o.taskState ? ` (${o.taskState}${o.taskError ? `: ${o.taskError}` : ''})` : ''}`);
      else if (o.runningOn !== s.host) drift.push(`runs on ${o.runningOn ?? '?'}, plan: ${s.host}`);
      if (o.configHash !== s.configHash) drift.push(`configuration differs from the plan (${o.configHash ?? 'no hash'} ≠ ${s.configHash})`);
    }
    return {
      id: s.serverId,
      role: s.role,
      host: s.host,
      service: s.service,
      task: o.taskState ?? (o.exists ? 'no task' : 'missing'),
      runningOn: o.runningOn ?? null,
      mode: p?.mode ?? null,
      zxid: p?.zxid != null ? `0x${p.zxid.toString(16)}` : null,
      drift,
    };
  });
  const labels = planLabels(ensemble, inventory.hosts, swarm.nodes, swarm.matched);
  const problems = [
    ...swarm.nodeProblems,
    ...verdict.issues.map((i) => i.message),
    ...observed.stale.map((s) => `service ${s} carries this ensemble's label but is not in the plan`),
    ...labels.problems,
    ...labels.changes.map((c) => `node ${c.node.hostname}: labels differ from the inventory (apply would ${[...Object.entries(c.add).map(([k, v]) => `add ${k}=${v}`), ...c.remove.map((k) => `remove ${k}`)].join(', ')})`),
  ];
  const ok = verdict.ok && servers.every((s) => s.drift.length === 0) && problems.length === 0;
  return { ensemble: ensemble.name, target: 'swarm', ok, servers, problems };
}
