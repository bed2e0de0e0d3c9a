// `--target swarm` of apply, status and destroy: the same inventory, deployed as a Swarm-mode
// stack through the manager, by the one rollout engine and the Swarm driver. Sessions go to every
// inventory host: the manager runs the Swarm commands, the others are where verify reaches the
// servers and where volumes live.
import { jsonText } from '../common/json.js';
import { OperationalError, UsageError } from '../common/problems.js';
import { progressFor } from './progress.js';
import { dialSessions, type Sessions } from '../drivers/sessions.js';
import { SwarmDriver, type SwarmReport } from '../drivers/swarm/driver.js';
import { describeLabels } from '../drivers/swarm/nodes.js';
import { desiredStack } from '../drivers/swarm/stack.js';
import { desiredServers } from '../rollout/server-specs.js';
import { apply, destroy, status, type ApplyReport, type EnsembleStatus } from '../engine/engine.js';
import type { DesiredServer, Progress } from '../engine/driver.js';
import { MULTI_HOST_NETWORKS, type Inventory } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import { loadTemplates } from '../render/templates.js';
import { readPlan } from './inventory-file.js';
import { specSecretsOf } from '../drivers/swarm/secrets.js';
import { ensembleInStep, phaseSteps } from '../plan/security-phases.js';
import { materialOf, maySecure, type EnsembleMaterial } from '../security/material.js';
import type { Io } from './io.js';
import { tableLines } from '../common/table.js';
import { allActions } from '../rollout/rollout.js';
import { executorFor, positiveInt, selectEnsembles, type RemoteFlags } from './remote-options.js';

export type SwarmApplyReport = ApplyReport<SwarmReport> & { target: 'swarm' };

interface SwarmEnsemble {
  ensemble: EnsemblePlan;
  driver: SwarmDriver;
  context: { ensemble: string; desired: DesiredServer[]; driver: SwarmDriver; progress: Progress };
  inventory: Inventory;
  /** The driver and context for the ensemble as one security step runs it, with that step's material. */
  inStep(ensemble: EnsemblePlan, material: EnsembleMaterial | undefined): SwarmEnsemble;
}

async function withSwarm<T>(file: string, flags: RemoteFlags, io: Io, command: string, progress: Progress, each: (e: SwarmEnsemble) => Promise<T>): Promise<T[]> {
  const concurrency = positiveInt(flags.concurrency, '--concurrency');
  const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
  const { inventory, plan } = readPlan(file, io);
  const ensembles = selectEnsembles(plan, flags.ensemble, MULTI_HOST_NETWORKS, `${command} --target swarm`);
  if (inventory.swarmManager === undefined) throw new UsageError(`${command} --target swarm needs a Swarm manager: flag one host \`swarm: manager\` (or set swarm.manager) in ${file}`);
  const executor = await executorFor(flags, io);
  const results: T[] = [];
  try {
    // The stacks are rendered while the SSH handshakes go on.
    const connecting = await dialSessions(executor, inventory.hosts, concurrency, progress);
    const templates = loadTemplates();
    const prepared: { e: EnsemblePlan; material: EnsembleMaterial | undefined; specs: SwarmSpecs }[] = [];
    for (const e of ensembles) {
      // A secured ensemble's services mount Docker secrets named by its material (made or reused here).
      const material = e.security ? await materialOf(inventory, e, command === 'apply' ? (m) => progress.note(m) : () => undefined) : undefined;
      prepared.push({ e, material, specs: swarmSpecs(e, templates, material) });
    }
    const sessions = await connecting.ready;
    for (const { e, material, specs } of prepared) results.push(await each(swarmEnsemble(inventory, e, sessions, templates, progress, timeoutMs, material, specs)));
  } finally {
    await executor.closeAll();
  }
  return results;
}

interface SwarmSpecs {
  stack: ReturnType<typeof desiredStack>;
  desired: DesiredServer[];
}

/** The stack file and the servers of an ensemble, with the secrets its material names. */
function swarmSpecs(ensemble: EnsemblePlan, templates: ReturnType<typeof loadTemplates>, material: EnsembleMaterial | undefined): SwarmSpecs {
  const secrets = material && ensemble.security ? specSecretsOf(material) : undefined;
  return { stack: desiredStack(ensemble, templates, secrets), desired: desiredServers(ensemble, { kind: 'swarm', ...(secrets ? { swarmSecrets: secrets } : {}) }) };
}

function swarmEnsemble(
  inventory: Inventory,
  ensemble: EnsemblePlan,
  sessions: Sessions,
  templates: ReturnType<typeof loadTemplates>,
  progress: Progress,
  timeoutMs: number,
  material?: EnsembleMaterial,
  specs: SwarmSpecs = swarmSpecs(ensemble, templates, material),
): SwarmEnsemble {
  const { stack, desired } = specs;
  const driver = new SwarmDriver(inventory, ensemble, stack, sessions, progress, { timeoutMs, ...(material ? { material } : {}) });
  return {
    ensemble,
    driver,
    context: { ensemble: ensemble.name, desired, driver, progress },
    inventory,
    inStep: (e, m) => swarmEnsemble(inventory, e, sessions, templates, progress, timeoutMs, m),
  };
}

export async function applySwarm(file: string, flags: RemoteFlags & { dryRun?: boolean; forceUnlock?: boolean }, io: Io, setExit: (code: number) => void): Promise<void> {
  const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
  const concurrency = positiveInt(flags.concurrency, '--concurrency');
  const progress = progressFor(io);
  const perEnsemble = await withSwarm(file, flags, io, 'apply', progress, async (target) => {
    const { inventory, ensemble: e } = target;
    const note = (m: string) => progress.note(m);
    // Security turned on or off on a running ensemble goes in rolling steps, as on the host
    // target; where an interrupted sequence stopped is read from the services' labels.
    const look = maySecure(inventory, e) ? target.inStep(e, undefined) : undefined;
    const running = look ? [...(await look.driver.observe(look.context.desired)).values()].filter((o) => o.exists) : [];
    const steps = phaseSteps(e.security, running.map((o) => o.securityPhase));
    if (steps.length > 1) note(`${e.name}: security changes in ${steps.length} rolling steps, each verified before the next: ${steps.map((s) => s.name).join(' → ')}`);
    const reports: SwarmApplyReport[] = [];
    for (const [i, step] of steps.entries()) {
      // a step back to plain text still needs the material to reach servers that speak TLS
      const security = step.security ?? steps[i - 1]?.security ?? e.security;
      const { context, driver } = steps.length > 1 ? target.inStep(ensembleInStep(e, step), await materialOf(inventory, e, () => undefined, security)) : target;
      if (steps.length > 1) note(`${e.name}: step ${i + 1}/${steps.length}: ${step.name}`);
      const report = await apply(context, { dryRun: Boolean(flags.dryRun), timeoutMs, concurrency, forceUnlock: Boolean(flags.forceUnlock), command: `zkplan apply --target swarm ${file}` });
      // A dry run ends before the driver reports: say what it would relabel.
      reports.push({ ...report, target: 'swarm' as const, ...(report.dryRun ? { labels: driver.labelChanges().map(describeLabels) } : {}) });
      if (steps.length > 1 && !report.dryRun) note(`${e.name}: step ${i + 1}/${steps.length} ${step.name} ${report.ok ? 'verified' : 'NOT verified'} after ${(report.elapsedMs / 1000).toFixed(1)} s`);
      if (!report.ok || report.dryRun) break;
    }
    return reports;
  }).finally(() => progress.close?.());
  const reports = perEnsemble.flat();
  io.out(flags.json ? jsonText(reports) : reports.map(applySummary).join(''));
  if (reports.some((r) => !r.ok)) throw new OperationalError('the ensemble could not be proven to work (see above)');
  setExit(0);
}

function applySummary(r: SwarmApplyReport): string {
  const c = r.rollout.counts;
  const pruned = r.pruned ?? [];
  const labels = r.labels ?? [];
  const lines = [`${r.ensemble}: stack ${r.ensemble}${r.manager ? ` via manager ${r.manager}` : ''}: ${r.dryRun ? 'would have ' : ''}${c.create} to create, ${c.change} to change, ${c.unchanged} unchanged${pruned.length ? `, removed ${pruned.join(', ')}` : ''}${r.dryRun ? ' (dry run: nothing was changed)' : ''}`];
  if (c.create + c.change === 0 && labels.length === 0 && pruned.length === 0 && !r.dryRun) lines.push('  nothing changed; no service was updated');
  for (const l of labels) lines.push(`  node labels ${l}`);
  const rows = allActions(r.rollout);
  const mode = (id: number) => r.health?.servers.find((s) => s.id === id)?.mode ?? '-';
  lines.push(...tableLines([['SERVER', 'HOST', 'SERVICE', 'ACTION', 'MODE', 'REASON'], ...rows.map((a) => [String(a.serverId), a.host, a.name, a.kind, mode(a.serverId), a.reason])]));
  if (r.health) lines.push(`  ${r.health.ok ? 'verified' : 'NOT verified'} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

type SwarmStatus = EnsembleStatus & { target: 'swarm'; runningOn: Record<number, string | null> };

export async function statusSwarm(file: string, flags: RemoteFlags, io: Io, setExit: (code: number) => void): Promise<void> {
  const statuses: SwarmStatus[] = await withSwarm(file, flags, io, 'status', progressFor(io, true), async ({ context, driver }) => {
    const s = await status(context, 2000);
    const extra = driver.swarmProblems();
    const runningOn = Object.fromEntries(context.desired.map((d) => [d.serverId, driver.runningOn(d.serverId) ?? null]));
    return { ...s, target: 'swarm' as const, ok: s.ok && extra.length === 0, problems: [...s.problems, ...extra], runningOn };
  });
  io.out(flags.json ? jsonText(statuses) : statuses.map(statusText).join('\n'));
  if (statuses.some((s) => !s.ok)) throw new OperationalError('not every ensemble is whole and as planned');
  setExit(0);
}

function statusText(s: SwarmStatus): string {
  const lines = [`${s.ensemble}: ${s.ok ? 'whole and as planned' : 'NOT whole or not as planned'} (stack ${s.ensemble})`];
  lines.push(...tableLines([['SERVER', 'ROLE', 'HOST', 'SERVICE', 'TASK', 'ON', 'MODE', 'ZXID', 'DRIFT'], ...s.servers.map((x) => [String(x.id), x.role, x.host, x.name, x.container, s.runningOn[x.id] ?? '-', x.mode ?? 'down', x.zxid ?? '-', x.drift.length ? x.drift.join('; ') : 'none'])]));
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

interface SwarmDestroyReport {
  ensemble: string;
  stack: string;
  /** services removed, followers first, the leader last */
  removed: string[];
  /** node: labels removed */
  labels: string[];
}

export async function destroySwarm(file: string, flags: RemoteFlags & { purgeData?: boolean; forceUnlock?: boolean }, io: Io, setExit: (code: number) => void): Promise<void> {
  const progress = progressFor(io);
  const reports: SwarmDestroyReport[] = await withSwarm(file, flags, io, 'destroy', progress, async ({ context, driver, ensemble }) => {
    const removed = await destroy(context, { purgeData: Boolean(flags.purgeData), forceUnlock: Boolean(flags.forceUnlock), command: `zkplan destroy --target swarm ${file}` });
    return { ensemble: ensemble.name, stack: ensemble.name, removed, labels: [...driver.labelsChanged] };
  }).finally(() => progress.close?.());
  io.out(
    flags.json
      ? jsonText(reports)
      : reports.map((r) => `${r.ensemble}: removed stack ${r.stack} and ${r.labels.length} node label set${r.labels.length === 1 ? '' : 's'}${flags.purgeData ? ' and the volumes' : '; volumes kept'}\n`).join(''),
  );
  setExit(0);
}
