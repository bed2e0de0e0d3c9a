// zkplan's entry point: builds the command tree, maps failures to exit codes
// (0 success, 1 operational failure, 2 invalid input or usage) and never prints a stack trace.
import { Command, CommanderError } from 'commander';
import { formatProblem, InputError, OperationalError, UsageError } from '../common/problems.js';
import { enableTrace } from '../remote/trace.js';
import { dropOutputToClosedPipes, processIo, type Io } from './io.js';
import { registerPlan } from './plan.js';
import { registerRender } from './render.js';
import { registerApply } from './apply.js';
import { registerStatus } from './status.js';
import { registerDestroy } from './destroy.js';
import { registerUp } from './up.js';
import { registerDown } from './down.js';
import { registerValidate } from './validate.js';

export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('zkplan')
    .description('Plan, render and deploy Apache ZooKeeper ensembles onto Docker hosts')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run zkplan --help for usage)');
  registerValidate(program, io, setExit);
  registerPlan(program, io, setExit);
  registerRender(program, io, setExit);
  registerApply(program, io, setExit);
  registerStatus(program, io, setExit);
  registerDestroy(program, io, setExit);
  registerUp(program, io, setExit);
  registerDown(program, io, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportFailure(e, io);
  }
}

function reportFailure(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    // help and version exit 0; everything else commander rejects is a usage error
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof InputError) {
    for (const p of e.problems) io.err(`${formatProblem(p)}\n`);
    const errors = e.problems.filter((p) => p.severity === 'error').length;
    io.err(`zkplan: ${errors} error${errors === 1 ? '' : 's'} in the input; nothing was done\n`);
    return 2;
  }
  if (e instanceof UsageError) {
    io.err(`zkplan: ${e.message}\n`);
    return 2;
  }
  if (e instanceof OperationalError) {
    io.err(`zkplan: ${e.message}\n`);
    return 1;
  }
  const err = e as Error;
  io.err(`zkplan: internal error: ${err?.message ?? String(e)}\n`);
  if (io.env.ZKPLAN_DEBUG) io.err(`${err?.stack ?? ''}\n`);
  return 1;
}

export async function main(): Promise<void> {
  dropOutputToClosedPipes();
  if (process.env.ZKPLAN_TRACE === '1') enableTrace();
  process.exitCode = await runCli(process.argv.slice(2));
}

