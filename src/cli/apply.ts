// zkplan apply <inventory> [--dry-run] [--timeout s] [--force-unlock] [--json] ...
// What the command runs (SSH, the engine, the drivers) is imported when it runs, not at every start.
import type { Command } from 'commander';
import { jsonText } from '../common/json.js';
import { OperationalError } from '../common/problems.js';
import type { HostReport } from '../drivers/host/driver.js';
import type { ApplyReport } from '../engine/engine.js';
import { progressFor } from './progress.js';
import type { Io } from './io.js';
import { tableLines } from '../common/table.js';
import { allActions } from '../rollout/rollout.js';
import { addRemoteOptions, executorFor, isSwarmTarget, positiveInt, selectEnsembles, TARGET_OPTION, type RemoteFlags } from './remote-options.js';

interface ApplyFlags extends RemoteFlags {
  dryRun?: boolean;
  forceUnlock?: boolean;
}

export function registerApply(program: Command, io: Io, setExit: (code: number) => void): void {
  addRemoteOptions(
    program
      .command('apply')
      .description('deploy host-network ensembles over SSH, roll changes one server at a time (leader last) and prove the ensemble works')
      .argument('<inventory>', 'inventory YAML file')
      .option(...TARGET_OPTION)
      .option('--dry-run', 'connect and inspect, then print what would be created, changed or left alone')
      .option('--force-unlock', 'break a deploy lock left by an interrupted run'),
  ).action(async (file: string, flags: ApplyFlags) => {
    if (isSwarmTarget(flags.target)) return (await import('./swarm.js')).applySwarm(file, flags, io, setExit);
    const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
    const concurrency = positiveInt(flags.concurrency, '--concurrency');
    const [{ readPlan }, { dialSessions, hostsOf, openSpareSessions }] = await Promise.all([import('./inventory-file.js'), import('../drivers/sessions.js')]);
    const { inventory, plan } = readPlan(file, io);
    const ensembles = selectEnsembles(plan, flags.ensemble, ['host'], 'apply');
    const progress = progressFor(io);
    const executor = await executorFor(flags, io);
    const reports: ApplyReport<HostReport>[] = [];
    try {
      const used = hostsOf(inventory.hosts, ensembles);
      // The SSH handshakes go on while the engine and the drivers load.
      const connecting = await dialSessions(executor, used, concurrency, progress);
      const [{ HostDriver }, { apply }, { hostMembershipSupport }, { materialOf, maySecure }, { ensembleInStep, phaseSteps }] = await Promise.all([
        import('../drivers/host/driver.js'),
        import('../engine/engine.js'),
        import('../drivers/host/membership.js'),
        import('../security/material.js'),
        import('../plan/security-phases.js'),
      ]);
      const sessions = await connecting.ready;
      const spare = inventory.hosts.filter((h) => !used.includes(h));
      for (const [name, session] of await openSpareSessions(executor, spare, concurrency, progress)) sessions.set(name, session);
      for (const e of ensembles) {
        const note = (m: string) => progress.note(m);
        // reconfig needs zkplan's super user: its password stays here, the servers get its digest.
        const superUser = e.settings.reconfig ? (await import('../security/super-digest.js')).ensureSuperCredential(file, e.name) : undefined;
        // Security turned on or off on a running ensemble goes in rolling steps; where an
        // interrupted sequence stopped is read from the servers' labels.
        const running = maySecure(inventory, e) ? await new HostDriver(e, sessions, concurrency, plan.ensembles, await materialOf(inventory, e, note)).observeAll() : [];
        const steps = phaseSteps(e.security, running.map((o) => o.securityPhase));
        if (steps.length > 1) note(`${e.name}: security changes in ${steps.length} rolling steps, each verified before the next: ${steps.map((s) => s.name).join(' → ')}`);
        for (const [i, step] of steps.entries()) {
          const ensemble = steps.length > 1 ? ensembleInStep(e, step) : e;
          // a step back to plain text still needs the material to reach servers that speak TLS
          const material = await materialOf(inventory, e, () => undefined, step.security ?? steps[i - 1]?.security ?? e.security);
          if (steps.length > 1) note(`${e.name}: step ${i + 1}/${steps.length}: ${step.name}`);
          const driver = new HostDriver(ensemble, sessions, concurrency, plan.ensembles, material, superUser?.digest);
          const report = await apply(
            { ensemble: e.name, desired: driver.desired(), driver, progress, membership: hostMembershipSupport(ensemble, sessions, superUser, material, steps.length > 1 ? BOTH_CHANGES : undefined) },
            { dryRun: Boolean(flags.dryRun), timeoutMs, concurrency, forceUnlock: Boolean(flags.forceUnlock), command: `zkplan apply ${file}` },
          );
          reports.push(report);
          if (steps.length > 1 && !report.dryRun) note(`${e.name}: step ${i + 1}/${steps.length} ${step.name} ${report.ok ? 'verified' : 'NOT verified'} after ${(report.elapsedMs / 1000).toFixed(1)} s`);
          if (!report.ok || report.dryRun) break;
        }
      }
    } finally {
      progress.close?.();
      await executor.closeAll();
    }
    io.out(flags.json ? jsonText(reports) : summary(reports));
    if (reports.some((r) => !r.ok)) throw new OperationalError('the ensemble could not be proven to work (see above)');
    setExit(0);
  });
}

/** Security phases roll the planned servers; a membership change in between would mix two rollouts. */
const BOTH_CHANGES = 'change membership or security, not both in one apply: apply the security change with the running membership first (or the membership change with the running security), then the other';

function summary(reports: ApplyReport<HostReport>[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const c = r.rollout.counts;
    if (r.membership) lines.push(...r.membership);
    lines.push(`${r.ensemble}: ${r.dryRun ? 'would have ' : ''}${c.create} to create, ${c.change} to change, ${c.unchanged} unchanged${r.dryRun ? ' (dry run: nothing was changed)' : ''}`);
    const rows = allActions(r.rollout);
    const mode = (id: number) => r.health?.servers.find((s) => s.id === id)?.mode ?? '-';
    const table = [['SERVER', 'HOST', 'NAME', 'ACTION', 'MODE', 'REASON'], ...rows.map((a) => [String(a.serverId), a.host, a.name, a.kind, mode(a.serverId), a.reason])];
    lines.push(...tableLines(table));
    if (r.reachability) {
      const bad = r.reachability.filter((x) => !x.ok);
      lines.push(`  peer reachability: ${r.reachability.length - bad.length}/${r.reachability.length} ok${bad.length ? `; unreachable: ${bad.map((x) => `${x.from}→${x.to}:${x.port}`).join(', ')}` : ''}`);
    }
    if (r.health) lines.push(`  ${r.health.ok ? 'verified' : 'NOT verified'}; apply took ${(r.elapsedMs / 1000).toFixed(1)} s`);
  }
  return `${lines.join('\n')}\n`;
}
