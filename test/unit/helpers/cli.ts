// Runs the CLI in-process with an in-memory file system.
import { runCli } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/io.js';
import { readFileSync } from 'node:fs';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  written: Map<string, { content: string; mode?: number }>;
}

export async function runZkplan(args: string[], files: Record<string, string> = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const written = new Map<string, { content: string; mode?: number }>();
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readText: (p) => {
      if (p in files) return files[p]!;
      return readFileSync(p, 'utf8');
    },
    writeFile: (p, content, mode) => void written.set(p, { content, ...(mode !== undefined ? { mode } : {}) }),
    env: {},
  };
  const code = await runCli(args, io);
  return { code, out, err, written };
}
