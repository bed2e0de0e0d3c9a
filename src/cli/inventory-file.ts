// Reads and plans an inventory file (`-` is standard input); a missing or unreadable file is bad input (exit 2).
import { InputError } from '../common/problems.js';
import type { Inventory } from '../inventory/types.js';
import { checkInventory, type CheckedInventory } from '../plan/check.js';
import type { Plan } from '../plan/types.js';
import type { Io } from './io.js';

/** The inventory argument that means standard input, and the name positions in it are given under. */
export const STDIN = '-';
const STDIN_NAME = '<stdin>';

/** Every problem of the inventory at `path`, and its plan when it has no error. */
export function checkInventoryFile(path: string, io: Io): CheckedInventory {
  const file = path === STDIN ? STDIN_NAME : path;
  let text: string;
  try {
    text = path === STDIN ? io.readStdin() : io.readText(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new InputError([{ file, line: 1, col: 1, message: `cannot read the inventory: ${reason}`, severity: 'error' }]);
  }
  return checkInventory(text, file);
}

export function readPlan(path: string, io: Io): { inventory: Inventory; plan: Plan } {
  const checked = checkInventoryFile(path, io);
  if (!checked.ok) throw new InputError(checked.problems);
  return { inventory: checked.inventory, plan: checked.plan };
}
