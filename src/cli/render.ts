// zkplan render <inventory> --target <target> [--ensemble <name>] [-o <file|dir>] [--set K=V ...] [--resolve]
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../common/problems.js';
import { renderTarget } from '../render/index.js';
import { loadTemplates } from '../render/templates.js';
import { TARGET_NAMES, type RenderedFile, type TargetName } from '../render/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import { readPlan } from './inventory-file.js';
import type { Io } from './io.js';
import { selectEnsembles } from './remote-options.js';

interface RenderFlags {
  target?: string;
  ensemble?: string;
  output?: string;
  set: string[];
  resolve?: boolean;
}

export function registerRender(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('render')
    .description('render deployment files for the plan')
    .argument('<inventory>', 'inventory YAML file')
    .option('-t, --target <target>', `one of ${TARGET_NAMES.join(', ')}`)
    .option('-e, --ensemble <name>', 'render only this ensemble')
    .option('-o, --output <file|dir>', 'write here instead of standard output (a directory for several files)')
    .option('--set <VAR=address>', 'override one ${ZOOKEEPER_n} address (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--resolve', 'write host addresses inline instead of ${ZOOKEEPER_n} variables')
    .action((file: string, flags: RenderFlags) => {
      const target = parseTarget(flags.target);
      const set = parseSet(flags.set);
      const { plan } = readPlan(file, io);
      const ensembles = selectEnsembles(plan, flags.ensemble);
      const templates = loadTemplates();
      const outputs = ensembles.map((e) => ({ ensemble: e, files: renderTarget(target, e, { set, resolve: Boolean(flags.resolve) }, templates) }));
      if (flags.output === undefined) printFiles(outputs, io);
      else writeFiles(outputs, flags.output, io);
      setExit(0);
    });
}

function parseTarget(target: string | undefined): TargetName {
  if (target === undefined) throw new UsageError(`render needs --target: one of ${TARGET_NAMES.join(', ')}`);
  if (!(TARGET_NAMES as readonly string[]).includes(target)) {
    throw new UsageError(`unknown target "${target}"; expected one of ${TARGET_NAMES.join(', ')}`);
  }
  return target as TargetName;
}

function parseSet(entries: string[]): Record<string, string> {
  const set: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(entry);
    if (!match) throw new UsageError(`--set expects VAR=address, got "${entry}"`);
    set[match[1]!] = match[2]!;
  }
  return set;
}

type Outputs = { ensemble: EnsemblePlan; files: RenderedFile[] }[];

function printFiles(outputs: Outputs, io: Io): void {
  const many = outputs.length > 1 || outputs.some((o) => o.files.length > 1);
  for (const { ensemble, files } of outputs) {
    for (const f of files) {
      if (many) io.out(`# ==> ${outputs.length > 1 ? `${ensemble.name}/` : ''}${f.path} <==\n`);
      io.out(f.content.endsWith('\n') ? f.content : `${f.content}\n`);
    }
  }
}

/**
 * A directory (existing, ending in '/', or needed for several ensembles) gets every file;
 * a file path gets the main file, with companions such as .env written beside it.
 */
function writeFiles(outputs: Outputs, output: string, io: Io): void {
  const isDir = output.endsWith('/') || (existsSync(output) && statSync(output).isDirectory());
  if (!isDir && outputs.length > 1) {
    throw new UsageError(`-o ${output} is a file but the inventory has ${outputs.length} ensembles; pass --ensemble or a directory`);
  }
  for (const { ensemble, files } of outputs) {
    const singleScript = !isDir && files.filter((f) => !f.path.startsWith('.')).length > 1;
    if (singleScript) throw new UsageError(`this target writes several files; -o must be a directory`);
    const dir = isDir ? (outputs.length > 1 ? join(output, ensemble.name) : output) : dirname(output);
    for (const f of files) {
      const path = !isDir && !f.path.startsWith('.') ? output : join(dir, f.path);
      io.writeFile(path, f.content, f.mode);
      io.err(`wrote ${path}\n`);
    }
  }
}

