// Runs the CLI in-process with an in-memory file system.
import { runCli } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/io.js';
import { readFileSync } from 'node:fs';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  written: Map<string, { content: string; mode?: number }>;
  /** Directories the CLI made, in order. */
  madeDirs: string[];
  /** Questions asked on the (simulated) terminal. */
  asked: string[];
}

export interface CliWorld {
  /** Directories that exist before the run. */
  dirs?: string[];
  /** Standard input's text. */
  stdin?: string;
  /** Standard input is a terminal; answers are given to the questions in turn. */
  terminal?: { answers: string[] };
}

/**
 * `files` exist before the run (paths not among them are read from the real disk, for the
 * repository's inventories); what the CLI writes goes to `written` and nowhere else.
 */
export async function runZkplan(args: string[], files: Record<string, string> = {}, world: CliWorld = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const written = new Map<string, { content: string; mode?: number }>();
  const madeDirs: string[] = [];
  const asked: string[] = [];
  const dirs = new Set((world.dirs ?? []).map((d) => d.replace(/\/+$/, '')));
  const answers = [...(world.terminal?.answers ?? [])];
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readText: (p) => {
      const w = written.get(p);
      if (w) return w.content;
      if (p in files) return files[p]!;
      return readFileSync(p, 'utf8');
    },
    readStdin: () => {
      if (world.stdin === undefined) throw new Error('the test gave no standard input');
      return world.stdin;
    },
    pathKind: (p) => {
      const bare = p.replace(/\/+$/, '');
      if (written.has(bare) || bare in files) return 'file';
      return dirs.has(bare) ? 'directory' : 'absent';
    },
    writeFile: (p, content, mode) => void written.set(p, { content, ...(mode !== undefined ? { mode } : {}) }),
    makeDirectory: (p) => {
      madeDirs.push(p);
      dirs.add(p.replace(/\/+$/, ''));
    },
    ask: async (q) => {
      asked.push(q);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected question: ${q}`);
      return answer;
    },
    stdinIsTTY: world.terminal !== undefined,
    env: {},
  };
  const code = await runCli(args, io);
  return { code, out, err, written, madeDirs, asked };
}
