// Inventory text → plan, with every independent problem of the text found in one run: the
// planner works on whatever the loader could accept, so schema, name, placement and port errors
// come together. Pure: the caller reads the file.
import { sortProblems, type Problem } from '../common/problems.js';
import { loadInventoryParts } from '../inventory/load.js';
import { isSingleHost, type EnsembleSpec, type Inventory } from '../inventory/types.js';
import { planWithProblems } from './plan.js';
import type { Plan } from './types.js';

export type CheckedInventory =
  | { ok: true; inventory: Inventory; plan: Plan; problems: Problem[] }
  | { ok: false; problems: Problem[] };

export function checkInventory(text: string, file: string): CheckedInventory {
  const loaded = loadInventoryParts(text, file);
  if (loaded.inventory === undefined) return { ok: false, problems: sortProblems(loaded.problems) };
  const inventory = withoutDependents(loaded.inventory, loaded.hostsLeftOut);
  const planned = planWithProblems(inventory);
  const byText = new Map([...loaded.problems, ...planned.problems].map((p) => [`${p.line}:${p.col}:${p.message}`, p]));
  const problems = sortProblems([...byText.values()]);
  const complete = loaded.hostsLeftOut.length === 0 && loaded.ensemblesLeftOut.length === 0;
  if (!complete || problems.some((p) => p.severity === 'error')) return { ok: false, problems };
  return { ok: true, inventory, plan: planned.plan, problems };
}

/**
 * Leaves out the ensembles that might be placed on a host the loader left out: their placement
 * and port problems would be consequences of that host's error, found once it is fixed.
 */
function withoutDependents(inv: Inventory, hostsLeftOut: number[]): Inventory {
  if (hostsLeftOut.length === 0) return inv;
  const placeable = (e: EnsembleSpec): boolean => {
    if (!isSingleHost(e.network)) return false; // spread or pinned over every host
    if (e.host === undefined) return !hostsLeftOut.includes(0); // the first host of the file
    return inv.hosts.some((h) => h.name === e.host);
  };
  return { ...inv, ensembles: inv.ensembles.filter(placeable) };
}
