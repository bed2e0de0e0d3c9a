// `--target swarm` of apply, status and destroy: the same inventory, deployed as a Swarm-mode
// stack through the manager. Sessions go to every inventory host: the manager runs the Swarm
// commands, the others are where verify reaches the servers and where volumes live.
import { jsonText } from '../common/json.js';
import { OperationalError, UsageError } from '../common/problems.js';
import { progressFor } from '../deploy/progress.js';
import { openSessions } from '../deploy/sessions.js';
import { applySwarmEnsemble, type SwarmApplyReport } from '../deploy/swarm/apply.js';
import { destroySwarmEnsemble, type SwarmDestroyReport } from '../deploy/swarm/destroy.js';
import { swarmEnsembleStatus, type SwarmEnsembleStatus } from '../deploy/swarm/status.js';
import { MULTI_HOST_NETWORKS, type Inventory } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import { loadTemplates } from '../render/templates.js';
import { readPlan } from './inventory-file.js';
import type { Io } from './io.js';
import { tableLines } from '../common/table.js';
import { executorFor, positiveInt, selectEnsembles, type RemoteFlags } from './remote-options.js';

export const TARGET_OPTION = ['--target <target>', 'host (containers over SSH, the default) or swarm (a Swarm-mode stack through the manager)', 'host'] as const;

/** Throws a usage error for anything but host and swarm; true for swarm. */
export function isSwarmTarget(target: string | undefined): boolean {
  if (target === undefined || target === 'host') return false;
  if (target === 'swarm') return true;
  throw new UsageError(`--target expects host or swarm, got "${target}"`);
}

async function withSwarm<T>(file: string, flags: RemoteFlags, io: Io, command: string, quiet: boolean, each: (inv: Inventory, e: EnsemblePlan, s: Awaited<ReturnType<typeof openSessions>>) => Promise<T>): Promise<T[]> {
  const concurrency = positiveInt(flags.concurrency, '--concurrency');
  const { inventory, plan } = readPlan(file, io);
  const ensembles = selectEnsembles(plan, flags.ensemble, MULTI_HOST_NETWORKS, `${command} --target swarm`);
  if (inventory.swarmManager === undefined) throw new UsageError(`${command} --target swarm needs a Swarm manager: flag one host \`swarm: manager\` (or set swarm.manager) in ${file}`);
  const executor = executorFor(flags, io);
  const results: T[] = [];
  try {
    const sessions = await openSessions(executor, inventory.hosts, concurrency, progressFor(io, quiet));
    for (const e of ensembles) results.push(await each(inventory, e, sessions));
  } finally {
    await executor.closeAll();
  }
  return results;
}

export async function applySwarm(file: string, flags: RemoteFlags & { dryRun?: boolean; forceUnlock?: boolean }, io: Io, setExit: (code: number) => void): Promise<void> {
  const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
  const templates = loadTemplates();
  const progress = progressFor(io);
  const reports: SwarmApplyReport[] = await withSwarm(file, flags, io, 'apply', false, (inv, e, sessions) =>
    applySwarmEnsemble(inv, e, sessions, templates, progress, { dryRun: Boolean(flags.dryRun), timeoutMs, forceUnlock: Boolean(flags.forceUnlock), command: `zkplan apply --target swarm ${file}` }),
  ).finally(() => progress.close?.());
  io.out(flags.json ? jsonText(reports) : reports.map(applySummary).join(''));
  if (reports.some((r) => !r.ok)) throw new OperationalError('the ensemble could not be proven to work (see above)');
  setExit(0);
}

function applySummary(r: SwarmApplyReport): string {
  const c = r.rollout.counts;
  const lines = [`${r.ensemble}: stack ${r.ensemble} via manager ${r.manager}: ${r.dryRun ? 'would have ' : ''}${c.create} to create, ${c.change} to change, ${c.unchanged} unchanged${r.pruned.length ? `, removed ${r.pruned.join(', ')}` : ''}${r.dryRun ? ' (dry run: nothing was changed)' : ''}`];
  if (c.create + c.change === 0 && r.labels.length === 0 && r.pruned.length === 0 && !r.dryRun) lines.push('  nothing changed; no service was updated');
  for (const l of r.labels) lines.push(`  node labels ${l}`);
  const rows = [...r.rollout.parallel, ...r.rollout.rolling, ...r.rollout.unchanged].sort((a, b) => a.serverId - b.serverId);
  const mode = (id: number) => r.health?.servers.find((s) => s.id === id)?.mode ?? '-';
  lines.push(...tableLines([['SERVER', 'HOST', 'SERVICE', 'ACTION', 'MODE', 'REASON'], ...rows.map((a) => [String(a.serverId), a.host, a.name, a.kind, mode(a.serverId), a.reason])]));
  if (r.health) lines.push(`  ${r.health.ok ? 'verified' : 'NOT verified'} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

export async function statusSwarm(file: string, flags: RemoteFlags, io: Io, setExit: (code: number) => void): Promise<void> {
  const templates = loadTemplates();
  const statuses: SwarmEnsembleStatus[] = await withSwarm(file, flags, io, 'status', true, (inv, e, sessions) => swarmEnsembleStatus(inv, e, sessions, templates, 2000));
  io.out(flags.json ? jsonText(statuses) : statuses.map(statusText).join('\n'));
  if (statuses.some((s) => !s.ok)) throw new OperationalError('not every ensemble is whole and as planned');
  setExit(0);
}

function statusText(s: SwarmEnsembleStatus): string {
  const lines = [`${s.ensemble}: ${s.ok ? 'whole and as planned' : 'NOT whole or not as planned'} (stack ${s.ensemble})`];
  lines.push(...tableLines([['SERVER', 'ROLE', 'HOST', 'SERVICE', 'TASK', 'ON', 'MODE', 'ZXID', 'DRIFT'], ...s.servers.map((x) => [String(x.id), x.role, x.host, x.service, x.task, x.runningOn ?? '-', x.mode ?? 'down', x.zxid ?? '-', x.drift.length ? x.drift.join('; ') : 'none'])]));
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

export async function destroySwarm(file: string, flags: RemoteFlags & { purgeData?: boolean; forceUnlock?: boolean }, io: Io, setExit: (code: number) => void): Promise<void> {
  const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
  const templates = loadTemplates();
  const progress = progressFor(io);
  const reports: SwarmDestroyReport[] = await withSwarm(file, flags, io, 'destroy', false, (inv, e, sessions) =>
    destroySwarmEnsemble(inv, e, sessions, templates, progress, { purgeData: Boolean(flags.purgeData), forceUnlock: Boolean(flags.forceUnlock), command: `zkplan destroy --target swarm ${file}`, timeoutMs }),
  ).finally(() => progress.close?.());
  io.out(
    flags.json
      ? jsonText(reports)
      : reports.map((r) => `${r.ensemble}: removed stack ${r.stack} and ${r.labels.length} node label set${r.labels.length === 1 ? '' : 's'}${flags.purgeData ? ' and the volumes' : '; volumes kept'}\n`).join(''),
  );
  setExit(0);
}
