// The CLI's window on the world, injectable so commands run in-process in tests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readText(path: string): string;
  writeFile(path: string, content: string, mode?: number): void;
  /** Width of the terminal on stderr (where progress goes); undefined when stderr is not one. */
  errColumns?: number;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readText: (p) => readFileSync(p, 'utf8'),
  writeFile: (p, content, mode) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content, mode !== undefined ? { mode } : {});
  },
  get errColumns() {
    return process.stderr.isTTY ? process.stderr.columns || 80 : undefined;
  },
  env: process.env,
};
