// The inventory `zkplan up --local` uses when none is given: the reference article's
// development ensemble (three servers on one Docker engine), written as an ordinary inventory so
// it goes through the same loader, schema defaults and planner as a user's file.
import YAML from 'yaml';
import { UsageError } from '../../common/problems.js';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory, SingleHostNetwork } from '../../inventory/types.js';
import { DEFAULT_IMAGE } from './default-image.js';
export const DEFAULT_ENSEMBLE = 'zk';
export const DEFAULT_INVENTORY_FILE = '<built-in default inventory>';

export interface DefaultInventoryOptions {
  network: SingleHostNetwork;
  image: string;
}

// A reference with whitespace or control characters would only fail later inside docker run.
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

export function defaultInventoryText(opts: DefaultInventoryOptions): string {
  if (!IMAGE_REFERENCE.test(opts.image)) throw new UsageError(`--image expects an image reference like ${DEFAULT_IMAGE}, got ${JSON.stringify(opts.image)}`);
  const doc = {
    hosts: [{ name: 'local', address: '127.0.0.1' }],
    ensembles: [
      {
        name: DEFAULT_ENSEMBLE,
        servers: 3,
        image: opts.image,
        profile: 'official',
        network: opts.network,
        publish_address: '127.0.0.1',
        // The article's container names zk1..zk3.
        service_prefix: 'zk',
      },
    ],
  };
  return `# zkplan up --local: built-in default (network ${opts.network})\n${YAML.stringify(doc)}`;
}

export function defaultInventory(opts: DefaultInventoryOptions): Inventory {
  return loadInventory(defaultInventoryText(opts), DEFAULT_INVENTORY_FILE);
}
