// zkplan render <inventory> --target <target> [--ensemble <name>] [-o <file|dir>] [--all] [--force] [--set K=V ...] [--resolve]
//
// Standard output carries the main file alone (the compose, stack or run script); --all prints
// every file, each after a `# ==> name <==` line. `-o` names a directory when it ends in '/', is
// an existing directory, or the render has several main files (several ensembles, run scripts
// for several hosts): it is created and gets every file, the .env of ${ZOOKEEPER_n} addresses
// included. Otherwise `-o` names the main file and nothing else is written. An existing file is
// replaced only when zkplan wrote it (its header says so) or with --force, and every file is
// checked before the first is written.
//
// The planner, the renderers and their templates are imported when the command runs.
import { join } from 'node:path';
import type { Command } from 'commander';
import { OperationalError, UsageError } from '../common/problems.js';
import { isRenderedByZkplan } from '../render/generated.js';
import { SECRETS_DIR, TARGET_NAMES, type RenderedFile, type TargetName } from '../render/types.js';
import type { Inventory } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import type { EnsembleMaterial } from '../security/material.js';
import type { Io } from './io.js';
import { selectEnsembles } from './remote-options.js';

interface RenderFlags {
  target?: string;
  ensemble?: string;
  output?: string;
  set: string[];
  resolve?: boolean;
  all?: boolean;
  force?: boolean;
}

/** A rendered file and its name in this render: `<ensemble>/<path>` when there are several ensembles. */
interface Rendered {
  name: string;
  file: RenderedFile;
}

export function registerRender(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('render')
    .description('render deployment files for the plan')
    .argument('<inventory>', 'inventory YAML file, or - for standard input')
    .option('-t, --target <target>', `one of ${TARGET_NAMES.join(', ')}`)
    .option('-e, --ensemble <name>', 'render only this ensemble')
    .option('-o, --output <file|dir>', 'write the main file here; a directory (ending in /, existing, or for several files) gets every file, .env included')
    .option('--all', 'print every file on standard output (.env too), each after a "# ==> name <==" line')
    .option('--force', 'replace files that zkplan did not write')
    .option('--set <VAR=address>', 'override one ${ZOOKEEPER_n} address (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--resolve', 'write host addresses inline instead of ${ZOOKEEPER_n} variables (no .env)')
    .action(async (file: string, flags: RenderFlags) => {
      const target = parseTarget(flags.target);
      const set = parseSet(flags.set);
      if (flags.all && flags.output !== undefined) throw new UsageError('--all is for standard output; -o with a directory writes every file');
      const [{ readPlan }, { renderTarget, mountsSecretsDir }, { loadTemplates }] = await Promise.all([
        import('./inventory-file.js'),
        import('../render/index.js'),
        import('../render/templates.js'),
      ]);
      const { inventory, plan } = readPlan(file, io);
      const ensembles = selectEnsembles(plan, flags.ensemble);
      const templates = loadTemplates();
      const prefix = (e: EnsemblePlan) => (ensembles.length > 1 ? `${e.name}/` : '');
      const rendered = ensembles.flatMap((e) =>
        renderTarget(target, e, { set, resolve: Boolean(flags.resolve) }, templates).map((f) => ({ name: `${prefix(e)}${f.path}`, file: f })),
      );
      // Secured ensembles (only targets that mount a secrets directory render them): their files go beside the compose file.
      // (A Swarm stack names external Docker secrets instead: nothing to write beside it.)
      const secured = mountsSecretsDir(target) ? ensembles.filter((e) => e.security !== undefined).map((e) => ({ ensemble: e, dir: `${prefix(e)}${SECRETS_DIR}` })) : [];
      const writesDirectory = flags.output !== undefined && isDirectoryOutput(rendered, flags.output, io);
      if (secured.length > 0 && !writesDirectory) {
        io.err(`zkplan: secrets not written: the compose file mounts ${secured.map((s) => `${s.dir}/<server>/`).join(', ')} beside it (key material, JAAS file); render -o DIR/ writes ${secured.length > 1 ? 'them' : 'it'} there\n`);
      }
      if (flags.output === undefined) printFiles(rendered, Boolean(flags.all), io);
      else {
        // The material is made (or read) before the first file is written: a missing password or openssl writes nothing.
        if (writesDirectory) {
          for (const d of secured.map((x) => join(flags.output!, x.dir))) {
            if (!['absent', 'directory'].includes(io.pathKind(d))) throw new UsageError(`${d} is not a directory, but the secured ensemble's secrets go there; nothing was written`);
          }
        }
        const materials = writesDirectory && secured.length > 0 ? await securedMaterials(inventory, secured, io) : [];
        writeFiles(rendered, flags.output, Boolean(flags.force), io);
        if (materials.length > 0) await writeSecrets(materials, flags.output, io);
      }
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

/** The files a deployment is run from; the others (.env) go beside them. */
function isMain(r: Rendered): boolean {
  return !r.file.path.startsWith('.');
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function printFiles(rendered: Rendered[], all: boolean, io: Io): void {
  if (all) {
    for (const r of rendered) {
      if (rendered.length > 1) io.out(`# ==> ${r.name} <==\n`);
      io.out(withNewline(r.file.content));
    }
    return;
  }
  const mains = rendered.filter(isMain);
  if (mains.length !== 1) {
    throw new UsageError(
      `this render has ${mains.length} files (${mains.map((r) => r.name).join(', ')}) and standard output carries one: pass -o DIR to write them, --all to print them all, or --ensemble`,
    );
  }
  io.out(withNewline(mains[0]!.file.content));
  noteLeftOut(rendered.filter((r) => !isMain(r)), 'printed', io);
}

function noteLeftOut(left: Rendered[], done: 'printed' | 'written', io: Io): void {
  if (left.length === 0) return;
  io.err(`zkplan: ${left.map((r) => r.name).join(', ')} (the \${ZOOKEEPER_n} addresses) not ${done}: -o DIR/ writes it beside the main file; --resolve writes the addresses inline\n`);
}

/** `-o` names a directory: it ends in '/', is one, or the render has several main files. */
function isDirectoryOutput(rendered: Rendered[], output: string, io: Io): boolean {
  return output.endsWith('/') || io.pathKind(output) === 'directory' || rendered.filter(isMain).length > 1;
}

interface SecuredRender {
  ensemble: EnsemblePlan;
  /** relative to the output directory */
  dir: string;
}

async function securedMaterials(inventory: Inventory, secured: SecuredRender[], io: Io): Promise<(SecuredRender & { material: EnsembleMaterial })[]> {
  const { materialOf } = await import('../security/material.js');
  const out: (SecuredRender & { material: EnsembleMaterial })[] = [];
  for (const s of secured) {
    const material = await materialOf(inventory, s.ensemble, (m) => io.err(`zkplan: ${m}\n`));
    out.push({ ...s, material: material! });
  }
  return out;
}

/** Each server's directory under `secrets/` beside the compose file; one warning naming every directory written. */
async function writeSecrets(materials: (SecuredRender & { material: EnsembleMaterial })[], output: string, io: Io): Promise<void> {
  const [{ writeServerSecrets }, { secretsOwner }] = await Promise.all([import('../security/secrets-dir.js'), import('../plan/security.js')]);
  const written = materials.map((m) => {
    const root = join(output, m.dir);
    try {
      return writeServerSecrets(root, m.material, secretsOwner(m.ensemble.profile));
    } catch (e) {
      if (e instanceof OperationalError) throw e;
      throw new OperationalError(`cannot write the secrets of ensemble ${m.ensemble.name} under ${root}: ${(e as Error).message}`);
    }
  });
  const hints = written.flatMap((w) => (w.chownHint ? [w.chownHint] : []));
  io.err(
    `zkplan: WARNING: secret files (private keys, SASL passwords) written beside the compose file in ${written.map((w) => `${w.root}/`).join(', ')} ` +
      `(${written.reduce((n, w) => n + w.files, 0)} files; directories 0700, files 0600${written[0]?.owner !== undefined ? `, owned by uid ${written[0].owner}` : ''}): ` +
      `keep ${written.length > 1 ? 'them' : 'it'} private, out of version control and backups you share` +
      `${hints.length > 0 ? `; the image reads them as another uid: ${hints.join('; ')}` : ''}\n`,
  );
}

function writeFiles(rendered: Rendered[], output: string, force: boolean, io: Io): void {
  const mains = rendered.filter(isMain);
  const kind = io.pathKind(output);
  const isDir = isDirectoryOutput(rendered, output, io);
  if (isDir && (kind === 'file' || kind === 'other')) {
    throw new UsageError(`-o ${output} is not a directory, but this render writes ${mains.length} files (${mains.map((r) => r.name).join(', ')}): name a directory`);
  }
  const writes = isDir ? rendered.map((r) => ({ path: join(output, r.name), file: r.file })) : [{ path: output, file: mains[0]!.file }];
  refuseToReplace(writes.map((w) => w.path), force, io);
  try {
    if (isDir) io.makeDirectory(output);
    for (const w of writes) {
      io.writeFile(w.path, w.file.content, w.file.mode);
      io.err(`wrote ${w.path}\n`);
    }
  } catch (e) {
    throw new OperationalError(`cannot write the rendered files under ${output}: ${(e as Error).message}`);
  }
  if (!isDir) noteLeftOut(rendered.filter((r) => !isMain(r)), 'written', io);
}

/** Throws, before anything is written, when a path is a directory or a file zkplan did not write (unless --force). */
function refuseToReplace(paths: string[], force: boolean, io: Io): void {
  const foreign: string[] = [];
  for (const path of paths) {
    const kind = io.pathKind(path);
    if (kind === 'directory') throw new UsageError(`${path} is a directory; nothing was written`);
    if (kind === 'file' && !force && !isRenderedByZkplan(io.readText(path))) foreign.push(path);
  }
  if (foreign.length > 0) {
    const one = foreign.length === 1;
    throw new UsageError(
      `${foreign.join(', ')} ${one ? 'exists' : 'exist'} and zkplan did not write ${one ? 'it' : 'them'} (no "# Generated by zkplan" header): pass --force to replace ${one ? 'it' : 'them'}; nothing was written`,
    );
  }
}
