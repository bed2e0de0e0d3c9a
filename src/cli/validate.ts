// zkplan validate <inventory> [--strict]: every problem as file:line:col, exit 2 on an error
// (with --strict also on a warning), 0 otherwise. Problems go to standard error as in every command.
// The checks are imported when the command runs, not at every start.
import type { Command } from 'commander';
import { formatProblem, InputError } from '../common/problems.js';
import type { Io } from './io.js';

export function registerValidate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check an inventory and print every problem as file:line:col (changes nothing, connects nowhere)')
    .argument('<inventory>', 'inventory YAML file, or - for standard input')
    .option('--strict', 'exit 2 on warnings too')
    .action(async (file: string, opts: { strict?: boolean }) => {
      const { checkInventoryFile } = await import('./inventory-file.js');
      const checked = checkInventoryFile(file, io);
      if (!checked.ok) throw new InputError(checked.problems);
      const warnings = checked.problems.length;
      for (const p of checked.problems) io.err(`${formatProblem(p)}\n`);
      const counted = `${warnings} warning${warnings === 1 ? '' : 's'}`;
      if (opts.strict && warnings > 0) {
        io.err(`zkplan: ${counted} and --strict: not valid\n`);
        setExit(2);
        return;
      }
      const servers = checked.plan.ensembles.reduce((n, e) => n + e.servers.length, 0);
      const ensembles = checked.plan.ensembles.length;
      io.out(`${checked.inventory.file}: valid (${ensembles} ensemble${ensembles === 1 ? '' : 's'}, ${servers} server${servers === 1 ? '' : 's'}, ${counted})\n`);
      setExit(0);
    });
}
