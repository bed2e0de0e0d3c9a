// Deleting data needs a yes: asked on a terminal, `--yes` everywhere else.
import { OperationalError, UsageError } from '../common/problems.js';
import type { Io } from './io.js';

/** Returns when the operator agreed to `what` (or passed --yes); throws with nothing done otherwise. */
export async function confirmDeletion(io: Io, yes: boolean | undefined, command: string, what: string): Promise<void> {
  if (yes) return;
  if (!io.stdinIsTTY) {
    throw new UsageError(`${command} deletes ${what} and standard input is not a terminal to confirm on: pass --yes to go ahead (nothing was done)`);
  }
  const answer = await io.ask(`${command} deletes ${what}; this cannot be undone. Go ahead? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new OperationalError('not confirmed; nothing was done');
}
