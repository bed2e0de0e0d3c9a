// The CLI's window on the world, injectable so commands run in-process in tests.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';

export type PathKind = 'absent' | 'file' | 'directory' | 'other';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readText(path: string): string;
  /** All of standard input (read once: a second call gives the same text). */
  readStdin(): string;
  pathKind(path: string): PathKind;
  /** Writes a file, creating its directory. */
  writeFile(path: string, content: string, mode?: number): void;
  makeDirectory(path: string): void;
  /** Asks a question on the terminal and resolves to the answer; only when stdinIsTTY. */
  ask(question: string): Promise<string>;
  /** Standard input is a terminal a person can answer questions on. */
  stdinIsTTY: boolean;
  /** Width of the terminal on stderr (where progress goes); undefined when stderr is not one. */
  errColumns?: number;
  env: NodeJS.ProcessEnv;
}

// Streams whose reader has gone (`zkplan … | head -1`): what is left to print is dropped.
const closed = new Set<NodeJS.WriteStream>();
let stdin: string | undefined;

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closed.has(stream)) stream.write(text);
}

export const processIo: Io = {
  out: (t) => write(process.stdout, t),
  err: (t) => write(process.stderr, t),
  readText: (p) => readFileSync(p, 'utf8'),
  readStdin: () => (stdin ??= readFileSync(0, 'utf8')),
  pathKind: (p) => {
    try {
      const s = statSync(p);
      return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw e;
    }
  },
  writeFile: (p, content, mode) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content, mode !== undefined ? { mode } : {});
  },
  makeDirectory: (p) => void mkdirSync(p, { recursive: true }),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  stdinIsTTY: Boolean(process.stdin.isTTY),
  get errColumns() {
    return process.stderr.isTTY ? process.stderr.columns || 80 : undefined;
  },
  env: process.env,
};

/**
 * A closed pipe on standard output or error is the reader saying it has read enough, not a
 * failure: the command goes on, its further output is dropped, and its exit code stands.
 */
export function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed.add(stream);
    });
  }
}
