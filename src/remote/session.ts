// What every step on a host needs, whichever transport carries it (SSH or the local machine).

import type { Duplex } from 'node:stream';
import type { Host } from '../inventory/types.js';
import { OperationalError } from '../common/problems.js';
import { shellCommand } from '../common/shell.js';
import type { FileToPut, RemoteFiles } from './sftp-files.js';

// Defined with the file transfer (sftp-files.ts); re-exported for the session's readers.
export { DEFAULT_FILE_MODE, type FileToPut } from './sftp-files.js';

export interface RunOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HeldRun {
  first: RunResult;
  /** The command exited before printing the marker; `first` is its whole result. */
  exited: boolean;
  /** Writes input to its stdin; resolves with what it prints up to its next marker. In order. */
  exchange(input: string): Promise<string>;
  /** Writes `input` (if any), ends stdin and waits for the command to exit. */
  end(input?: string): Promise<RunResult>;
}

export interface HostSession {
  readonly host: Host;
  /** Runs argv as one command; a non-zero exit is a result, not an error. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Starts argv and resolves once its stdout printed `marker` (or it exited): `first` is what it
   * printed before. The command keeps running, its stdin open, until `end()` closes stdin and
   * waits for it to exit. Lets one exec report, run more (exchange) and, at the very end, clean
   * up (a deploy lock) without another shell start. Optional: callers fall back to run() calls.
   */
  runHeld?(argv: readonly string[], marker: string, opts?: RunOptions): Promise<HeldRun>;
  /** Creates parent directories and replaces each file atomically (temp name + rename). */
  putFiles(files: readonly FileToPut[]): Promise<void>;
  /** undefined when the file does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** A TCP stream to address:port as seen from the host. */
  dial(address: string, port: number): Promise<Duplex>;
  /** A stream to a unix socket on the host (the Docker engine's), no process started there. */
  dialUnix?(socketPath: string): Promise<Duplex>;
  /** argv's stdin and stdout as one stream (`docker system dial-stdio`); its stderr is dropped. */
  execStream?(argv: readonly string[]): Promise<Duplex>;
  /** File operations that start no process on the host (SFTP). */
  files?(): Promise<RemoteFiles>;
  close(): Promise<void>;
}

export interface Executor {
  session(host: Host): Promise<HostSession>;
  closeAll(): Promise<void>;
}

/** Runs argv and turns a non-zero exit into an OperationalError carrying the command and stderr. */
export async function runChecked(session: HostSession, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return checkResult(session.host.name, argv, await session.run(argv, opts));
}

/** runChecked for a result obtained another way (a batch, a held exec). */
export function checkResult(host: string, argv: readonly string[], result: RunResult): RunResult {
  if (result.code !== 0) {
    const stderr = result.stderr.trim();
    throw new OperationalError(
      `${host}: command failed with exit code ${result.code}: ${brief(shellCommand(argv))}` + (stderr ? `\n${stderr}` : ''),
    );
  }
  return result;
}

/** Keeps error messages readable when a command carries a whole script or file. */
export function brief(text: string, max = 200): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
