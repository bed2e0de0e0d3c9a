// zkplan up [inventory] --local [--network bridge|links|static-ip] [--image ref] [--dry-run] [--timeout s] [--json]
// What the command runs (the local driver, the engine) is imported when it runs, not at every start.
import { Option, type Command } from 'commander';
import { jsonText } from '../common/json.js';
import { formatProblem, OperationalError, UsageError } from '../common/problems.js';
import { progressFor } from './progress.js';
import { DEFAULT_IMAGE } from '../drivers/local/default-image.js';
import { SINGLE_HOST_NETWORKS } from '../inventory/types.js';
import type { LocalResult } from '../drivers/local/driver.js';
import type { ApplyReport } from '../engine/engine.js';
import type { Io } from './io.js';
import { addLocalOptions, type LocalFlags } from './local-options.js';
import { positiveInt } from './remote-options.js';
import { tableLines } from '../common/table.js';
import { allActions } from '../rollout/rollout.js';

interface UpFlags extends LocalFlags {
  timeout: string;
  dryRun?: boolean;
}

export type LocalUpReport = ApplyReport & { network: LocalResult['network']; connectString: string };

export function registerUp(program: Command, io: Io, setExit: (code: number) => void): void {
  addLocalOptions(
    program
      .command('up')
      .description('run a single-host ensemble (network bridge, links or static-ip) on the local Docker engine and prove it works; without an inventory, a 3-server development ensemble on 127.0.0.1:2181-2183')
      .argument('[inventory]', 'inventory YAML file (default: the built-in 3-server ensemble)'),
  )
    .addOption(new Option('--network <method>', 'built-in default only: the reference article\'s single-host method').choices([...SINGLE_HOST_NETWORKS]))
    .option('--image <ref>', `built-in default only: the image (official contract; default ${DEFAULT_IMAGE})`)
    .option('--dry-run', 'inspect the engine, then print what would be created, changed or left alone (and a membership change step by step)')
    .option('--timeout <seconds>', 'how long to wait for the ensemble to be proven', '120')
    .action(async (file: string | undefined, flags: UpFlags) => {
      if (!flags.local) throw new UsageError('up runs ensembles on the local Docker engine only: pass --local (zkplan apply deploys to the inventory\'s hosts over SSH)');
      const timeoutMs = positiveInt(flags.timeout, '--timeout') * 1000;
      const [{ localEngineSession, localPlan }, { connectString, localContainers, localMembers }, { LocalDriver }, { apply }, { localMembershipSupport }] = await Promise.all([
        import('./local-plan.js'),
        import('../drivers/local/desired.js'),
        import('../drivers/local/driver.js'),
        import('../engine/engine.js'),
        import('../drivers/local/membership.js'),
      ]);
      const { plan, ensembles, inventory } = localPlan(file, flags, io, { network: 'bridge', image: DEFAULT_IMAGE });
      for (const w of plan.warnings) io.err(`${formatProblem(w)}\n`);
      const progress = progressFor(io);
      const session = localEngineSession();
      const reports: LocalUpReport[] = [];
      try {
        for (const e of ensembles) {
          const members = localMembers(e);
          progress.note(`${e.name}: ${e.servers.length} servers on network ${e.dockerNetwork?.name ?? '?'} (${e.network}), image ${e.image}; connect string ${connectString(members)}`);
          // A secured ensemble's secrets are written beside the inventory before its servers are made (src/drivers/local/secured.ts).
          const secured = e.security && inventory ? await (await import('../drivers/local/secured.js')).prepareLocalSecrets(inventory, e, (m) => progress.note(m)) : undefined;
          const driver = new LocalDriver(e, session, progress, secured?.dial);
          // A session on a TLS client port costs a handshake on both sides first: on a loaded machine, more than the second a plain one gets.
          const timing = secured ? { requestTimeoutMs: 5000 } : {};
          const report = await apply(
            { ensemble: e.name, desired: localContainers(e, secured?.secrets), driver, progress, timing, membership: localMembershipSupport(e, secured?.secrets) },
            { dryRun: Boolean(flags.dryRun), timeoutMs, concurrency: 4, forceUnlock: false, command: 'zkplan up --local' },
          );
          reports.push({ ...report, network: driver.outcome.network, connectString: connectString(members) });
        }
      } finally {
        progress.close?.();
      }
      io.out(flags.json ? jsonText(reports) : summary(reports));
      if (reports.some((r) => !r.ok)) throw new OperationalError('the ensemble could not be proven to work (see above)');
      setExit(0);
    });
}

function summary(reports: LocalUpReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const c = r.rollout.counts;
    if (r.membership) lines.push(...r.membership);
    lines.push(`${r.ensemble}: network ${r.network.name} ${r.network.action}; ${r.dryRun ? 'would have ' : ''}${c.create} to create, ${c.change} to change, ${c.unchanged} unchanged${r.dryRun ? ' (dry run: nothing was changed)' : ''}`);
    const rows = allActions(r.rollout);
    const server = (id: number) => r.health?.servers.find((s) => s.id === id);
    const table = [
      ['SERVER', 'NAME', 'ACTION', 'MODE', 'CLIENT'],
      ...rows.map((a) => [String(a.serverId), a.name, a.kind, server(a.serverId)?.mode ?? '-', server(a.serverId) ? `${server(a.serverId)!.address}:${server(a.serverId)!.port}` : '-']),
    ];
    lines.push(...tableLines(table));
    if (!r.dryRun) lines.push(`  ${r.ok ? 'verified' : 'NOT verified'} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
    lines.push(`  connect string: ${r.connectString}`);
  }
  return `${lines.join('\n')}\n`;
}
