// zkplan destroy <inventory> [--purge-data [--yes]]
// What the command runs (SSH, the engine, the drivers) is imported when it runs, not at every start.
import type { Command } from 'commander';
import { jsonText } from '../common/json.js';
import { progressFor } from './progress.js';
import { confirmDeletion } from './confirm.js';
import type { EnsemblePlan } from '../plan/types.js';
import type { Io } from './io.js';
import { addRemoteOptions, executorFor, isSwarmTarget, positiveInt, selectEnsembles, TARGET_OPTION, type RemoteFlags } from './remote-options.js';

interface DestroyFlags extends RemoteFlags {
  purgeData?: boolean;
  yes?: boolean;
  forceUnlock?: boolean;
}

export function registerDestroy(program: Command, io: Io, setExit: (code: number) => void): void {
  addRemoteOptions(
    program
      .command('destroy')
      .description('remove the containers (followers first, leader last); data stays unless --purge-data')
      .argument('<inventory>', 'inventory YAML file')
      .option(...TARGET_OPTION)
      .option('--purge-data', 'also delete the servers’ data directories (asks first on a terminal)')
      .option('--yes', 'delete with --purge-data without asking (needed when standard input is not a terminal)')
      .option('--force-unlock', 'break a deploy lock left by an interrupted run'),
  ).action(async (file: string, flags: DestroyFlags) => {
    const swarm = isSwarmTarget(flags.target);
    const concurrency = positiveInt(flags.concurrency, '--concurrency');
    const { readPlan } = await import('./inventory-file.js');
    const { inventory, plan } = readPlan(file, io);
    if (flags.purgeData) await confirmDeletion(io, flags.yes, 'destroy --purge-data', `the data of ${dataOf(selectEnsembles(plan, flags.ensemble))}`);
    if (swarm) return (await import('./swarm.js')).destroySwarm(file, flags, io, setExit);
    const { dialSessions, hostsOf } = await import('../drivers/sessions.js');
    const ensembles = selectEnsembles(plan, flags.ensemble, ['host'], 'destroy');
    const executor = await executorFor(flags, io);
    const removed: Record<string, string[]> = {};
    const progress = progressFor(io);
    try {
      // The SSH handshakes go on while the engine and the driver load.
      const connecting = await dialSessions(executor, hostsOf(inventory.hosts, ensembles), concurrency, progress);
      const [{ HostDriver }, { destroy }] = await Promise.all([import('../drivers/host/driver.js'), import('../engine/engine.js')]);
      const sessions = await connecting.ready;
      for (const e of ensembles) {
        const material = await (await import('../security/material.js')).materialOf(inventory, e, (m) => progress.note(m));
        const driver = new HostDriver(e, sessions, concurrency, [e], material);
        removed[e.name] = await destroy({ ensemble: e.name, desired: driver.desired(), driver, progress }, {
          purgeData: Boolean(flags.purgeData),
          forceUnlock: Boolean(flags.forceUnlock),
          command: `zkplan destroy ${file}`,
        });
      }
    } finally {
      progress.close?.();
      await executor.closeAll();
    }
    io.out(flags.json ? jsonText(removed) : Object.entries(removed).map(([e, r]) => `${e}: removed ${r.length} container${r.length === 1 ? '' : 's'}${flags.purgeData ? ' and their data' : ''}\n`).join(''));
    setExit(0);
  });
}

function dataOf(ensembles: EnsemblePlan[]): string {
  const each = ensembles.map((e) => `${e.name} (${e.servers.length} server${e.servers.length === 1 ? '' : 's'} on ${[...new Set(e.servers.map((s) => s.host.name))].join(', ')})`);
  return `ensemble${ensembles.length === 1 ? '' : 's'} ${each.join(', ')}`;
}
