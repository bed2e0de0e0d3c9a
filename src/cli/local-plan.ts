// What \`up --local\` and \`down\` share when they run: the inventory (a file, or the built-in
// default), the ensembles they may handle, and the session on the local Docker engine.
import { UsageError } from '../common/problems.js';
import { defaultInventory } from '../drivers/local/default-inventory.js';
import { SINGLE_HOST_NETWORKS, type SingleHostNetwork } from '../inventory/types.js';
import type { Host, Inventory } from '../inventory/types.js';
import { planInventory } from '../plan/plan.js';
import type { EnsemblePlan, Plan } from '../plan/types.js';
import { LocalSession } from '../remote/local-executor.js';
import { readPlan } from './inventory-file.js';
import type { Io } from './io.js';
import type { LocalFlags } from './local-options.js';
import { selectEnsembles } from './remote-options.js';

/** The inventory's plan, or the built-in default's when no file is given (then --network/--image shape it). */
export function localPlan(file: string | undefined, flags: LocalFlags, io: Io, defaults: { network: SingleHostNetwork; image: string }): { plan: Plan; ensembles: EnsemblePlan[]; source: string; inventory?: Inventory } {
  if (file !== undefined) {
    const given = [flags.network !== undefined ? '--network' : '', flags.image !== undefined ? '--image' : ''].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(' and ')} shape${given.length > 1 ? '' : 's'} the built-in default ensemble; with an inventory, set network and image in ${file}`);
    const { plan, inventory } = readPlan(file, io);
    return { plan, ensembles: selectEnsembles(plan, flags.ensemble, SINGLE_HOST_NETWORKS, 'up --local / down'), source: file, inventory };
  }
  const plan = planInventory(defaultInventory({ network: flags.network ?? defaults.network, image: flags.image ?? defaults.image }));
  return { plan, ensembles: selectEnsembles(plan, flags.ensemble, SINGLE_HOST_NETWORKS, 'up --local / down'), source: 'the built-in default' };
}

/** The local engine as a host: docker runs as a child process and inherits DOCKER_HOST. */
export function localEngineSession(): LocalSession {
  const host: Host = { name: 'local', address: '127.0.0.1', labels: {}, ssh: {}, stateDir: '', index: 0 };
  return new LocalSession(host);
}
