// Reads and plans an inventory file; a missing or unreadable file is bad input (exit 2).
import { InputError } from '../common/problems.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { planInventory } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import type { Io } from './io.js';

export function readInventory(path: string, io: Io): Inventory {
  let text: string;
  try {
    text = io.readText(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new InputError([{ file: path, line: 1, col: 1, message: `cannot read the inventory: ${reason}`, severity: 'error' }]);
  }
  return loadInventory(text, path);
}

export function readPlan(path: string, io: Io): { inventory: Inventory; plan: Plan } {
  const inventory = readInventory(path, io);
  return { inventory, plan: planInventory(inventory) };
}
