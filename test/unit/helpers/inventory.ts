// Builds inventories for tests.
import { loadInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { stringify } from 'yaml';

export function inventoryFrom(data: object, file = 'test.yml'): Inventory {
  return loadInventory(stringify(data), file);
}

export function hosts(n: number, labels: (i: number) => Record<string, string | number> = (i) => ({ 'aliyun.node_index': i })) {
  return Array.from({ length: n }, (_, k) => ({ name: `h${k + 1}`, address: `192.0.2.${k + 11}`, labels: labels(k + 1) }));
}
