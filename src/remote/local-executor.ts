// The same HostSession for the machine zkplan runs on: argv is executed directly (no shell,
// so nothing to quote) and files are written with the same temp-name-and-rename discipline.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Host } from '../inventory/types.js';
import { OperationalError } from '../common/problems.js';
import { brief, DEFAULT_FILE_MODE, type Executor, type FileToPut, type HostSession, type RunOptions, type RunResult } from './session.js';

export class LocalExecutor implements Executor {
  async session(host: Host): Promise<HostSession> {
    return new LocalSession(host);
  }

  async closeAll(): Promise<void> {}
}

export class LocalSession implements HostSession {
  private readonly label: string;

  constructor(readonly host: Host) {
    this.label = `${host.name} (local)`;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error('run: empty argv');
    const [file, ...args] = argv as [string, ...string[]];
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, opts.timeoutMs);
      child.stdout.on('data', (d: Buffer) => stdout.push(d));
      child.stderr.on('data', (d: Buffer) => stderr.push(d));
      // A command that exits without reading its stdin makes our write fail with EPIPE; that is fine.
      child.stdin.on('error', () => undefined);
      child.on('error', (err: NodeJS.ErrnoException) => (spawnError = err));
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (timedOut) return reject(new OperationalError(`${this.label}: timed out after ${opts.timeoutMs} ms: ${brief(argv.join(' '))}`));
        if (spawnError) {
          // Mirror what a remote shell reports, so callers see the same result on both transports.
          const notFound = spawnError.code === 'ENOENT';
          return resolve({ code: notFound ? 127 : 126, stdout: '', stderr: `${file}: ${notFound ? 'command not found' : spawnError.message}\n` });
        }
        const exit = code ?? 128 + (signal ? signalNumber(signal) : 0);
        resolve({ code: exit, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
      });
      child.stdin.end(opts.stdin);
    });
  }

  async putFiles(files: readonly FileToPut[]): Promise<void> {
    for (const file of files) {
      const target = path.resolve(file.path);
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.zkplan-${randomBytes(6).toString('hex')}`);
      const mode = file.mode ?? DEFAULT_FILE_MODE;
      try {
        await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        await writeFile(tmp, file.content, { mode });
        await chmod(tmp, mode);
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw new OperationalError(`${this.label}: cannot write ${target}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    try {
      return await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new OperationalError(`${this.label}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  dial(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) =>
        reject(new OperationalError(`${this.label}: cannot connect to ${address}:${port}: ${err.message}`, { cause: err })),
      );
    });
  }

  async close(): Promise<void> {}
}

function signalNumber(signal: NodeJS.Signals): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}
