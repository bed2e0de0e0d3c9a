// zkplan down [inventory] [--purge-data [--yes]] [--json]
// What the command runs (the local driver, the engine) is imported when it runs, not at every start.
import type { Command } from 'commander';
import { jsonText } from '../common/json.js';
import { progressFor } from './progress.js';
import { DEFAULT_IMAGE } from '../drivers/local/default-image.js';
import { confirmDeletion } from './confirm.js';
import type { Io } from './io.js';
import { addLocalOptions, type LocalFlags } from './local-options.js';

interface DownFlags extends LocalFlags {
  purgeData?: boolean;
  yes?: boolean;
}

export interface LocalDownReport {
  ensemble: string;
  /** in removal order: not serving first, followers, the leader last, then those the plan no longer has */
  containers: string[];
  networks: string[];
  volumesRemoved: string[];
  volumesKept: string[];
}

export function registerDown(program: Command, io: Io, setExit: (code: number) => void): void {
  addLocalOptions(
    program
      .command('down')
      .description('remove what zkplan up --local made (containers, and the network if zkplan created it); data volumes stay unless --purge-data')
      .argument('[inventory]', 'inventory YAML file (default: the built-in ensemble)'),
  )
    .option('--purge-data', 'also remove the servers\' data volumes (asks first on a terminal)')
    .option('--yes', 'remove with --purge-data without asking (needed when standard input is not a terminal)')
    .action(async (file: string | undefined, flags: DownFlags) => {
      const [{ localEngineSession, localPlan }, { localContainers }, { LocalDriver }, { destroy }] = await Promise.all([
        import('./local-plan.js'),
        import('../drivers/local/desired.js'),
        import('../drivers/local/driver.js'),
        import('../engine/engine.js'),
      ]);
      // Down finds everything by label, so the built-in default's network method does not matter.
      const { ensembles, inventory } = localPlan(file, flags, io, { network: 'bridge', image: DEFAULT_IMAGE });
      if (flags.purgeData) {
        const names = ensembles.map((e) => e.name);
        await confirmDeletion(io, flags.yes, 'down --purge-data', `the data volumes of ensemble${names.length === 1 ? '' : 's'} ${names.join(', ')} on the local Docker engine`);
      }
      const progress = progressFor(io);
      const session = localEngineSession();
      const reports: LocalDownReport[] = [];
      try {
        for (const e of ensembles) {
          const driver = new LocalDriver(e, session, progress);
          const secured = e.security && inventory ? (await import('../drivers/local/secured.js')).localSecretsForDown(inventory.file, e.name) : undefined;
          const removed = await destroy({ ensemble: e.name, desired: localContainers(e, secured?.secrets), driver, progress }, { purgeData: Boolean(flags.purgeData), forceUnlock: false, command: 'zkplan down' });
          if (secured) progress.note(`${e.name}: removed the servers' copies of the secrets in ${secured.remove()}`);
          const { strays, networks, volumesRemoved, volumesKept } = driver.outcome;
          reports.push({ ensemble: e.name, containers: [...removed.map((r) => r.replace(/^[^/]*\//, '')), ...strays], networks, volumesRemoved, volumesKept });
        }
      } finally {
        progress.close?.();
      }
      io.out(flags.json ? jsonText(reports) : summary(reports));
      setExit(0);
    });
}

function summary(reports: LocalDownReport[]): string {
  return reports
    .map((r) => {
      const parts = [
        r.containers.length ? `removed ${r.containers.join(', ')}` : 'no containers',
        r.networks.length ? `network ${r.networks.join(', ')} removed` : 'no network of zkplan\'s',
        r.volumesRemoved.length ? `volumes ${r.volumesRemoved.join(', ')} removed` : '',
        r.volumesKept.length ? `volumes ${r.volumesKept.join(', ')} kept (--purge-data removes them)` : '',
      ].filter(Boolean);
      return `${r.ensemble}: ${parts.join('; ')}\n`;
    })
    .join('');
}
