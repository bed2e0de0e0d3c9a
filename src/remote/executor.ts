// Runs steps on hosts over SSH: one connection per host, opened on first use and reused for
// every command, upload and tunnel after that.

import { constants as osConstants } from 'node:os';
import type { Duplex } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { Host } from '../inventory/types.js';
import { OperationalError } from '../common/problems.js';
import { shellCommand } from '../common/shell.js';
import { brief, type Executor, type FileToPut, type HeldRun, type HostSession, type RunOptions, type RunResult } from './session.js';
import { sftpFiles, sftpPutFiles, sftpReadFile, type RemoteFiles } from './sftp-files.js';
import { connectTarget, targetLabel, type ConnectOptions } from './ssh-connect.js';
import { tracePhase } from './trace.js';
import { resolveSshTarget, type Env, type ResolveOptions, type SshTarget } from './ssh-target.js';

export interface SshExecutorOptions {
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** sshd's MaxSessions defaults to 10 per connection; stay below it (the SFTP channel counts too). */
  maxChannelsPerHost?: number;
  sshConfigPath?: string;
  env?: Env;
  /** Overrides ~/.ssh/config resolution (tests, or a caller that already resolved targets). */
  resolveTarget?: (host: Host) => SshTarget;
}

export class SshExecutor implements Executor {
  private readonly sessions = new Map<string, Promise<SshSession>>();
  /** Jump hosts are shared: ten hosts behind one bastion make one connection to it. */
  private readonly jumps = new Map<string, Promise<Client>>();
  private readonly connectOptions: Omit<ConnectOptions, 'sock'>;
  private readonly maxChannels: number;

  constructor(private readonly options: SshExecutorOptions = {}) {
    this.connectOptions = {
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
    };
    this.maxChannels = options.maxChannelsPerHost ?? 8;
  }

  session(host: Host): Promise<HostSession> {
    const cached = this.sessions.get(host.name);
    if (cached !== undefined) return cached;
    const pending: Promise<SshSession> = this.open(host, () => {
      // Closed by us or dropped by the network: the next step for this host reconnects.
      if (this.sessions.get(host.name) === pending) this.sessions.delete(host.name);
    });
    this.sessions.set(host.name, pending);
    // A failed connect is not cached either: the next step may retry after a transient error.
    pending.catch(() => {
      if (this.sessions.get(host.name) === pending) this.sessions.delete(host.name);
    });
    return pending;
  }

  async closeAll(): Promise<void> {
    const phase = tracePhase('disconnect');
    const sessions = [...this.sessions.values()];
    const jumps = [...this.jumps.values()];
    this.sessions.clear();
    this.jumps.clear();
    await Promise.allSettled(sessions.map(async (s) => (await s).close()));
    await Promise.allSettled(jumps.map(async (j) => endClient(await j)));
    phase.end();
  }

  private async open(host: Host, forget: () => void): Promise<SshSession> {
    let target: SshTarget;
    try {
      target = this.options.resolveTarget ? this.options.resolveTarget(host) : resolveSshTarget(host, this.resolveOptions());
    } catch (err) {
      const message = (err as Error).message;
      throw new OperationalError(message.startsWith(`${host.name}:`) ? message : `${host.name}: ${message}`, { cause: err });
    }
    const client = await this.connect(target);
    const session = new SshSession(host, target, client, pLimit(this.maxChannels), forget);
    client.on('close', () => session.markClosed());
    return session;
  }

  private resolveOptions(): ResolveOptions {
    const opts: ResolveOptions = {};
    if (this.options.sshConfigPath !== undefined) opts.sshConfigPath = this.options.sshConfigPath;
    if (this.options.env !== undefined) opts.env = this.options.env;
    return opts;
  }

  private async connect(target: SshTarget): Promise<Client> {
    if (target.jump === undefined) return connectTarget(target, this.connectOptions);
    const label = targetLabel(target);
    let jump: Client;
    try {
      jump = await this.jumpClient(target.jump);
    } catch (err) {
      throw new OperationalError(`${label}: via jump host ${(err as Error).message}`, { cause: err });
    }
    const sock = await forwardOut(jump, target.address, target.port).catch((err: Error) => {
      throw new OperationalError(`${label}: jump host ${targetLabel(target.jump!)} cannot reach ${target.address}:${target.port}: ${err.message}`);
    });
    return connectTarget(target, { ...this.connectOptions, sock });
  }

  private jumpClient(jump: SshTarget): Promise<Client> {
    const key = jumpKey(jump);
    let pending = this.jumps.get(key);
    if (pending === undefined) {
      pending = this.connect(jump);
      this.jumps.set(key, pending);
      const forget = () => {
        if (this.jumps.get(key) === pending) this.jumps.delete(key);
      };
      pending.then((c) => c.on('close', forget), forget);
    }
    return pending;
  }
}

function jumpKey(t: SshTarget): string {
  return `${t.user}@${t.address}:${t.port}${t.jump ? ` via ${jumpKey(t.jump)}` : ''}`;
}

/**
 * Sends DISCONNECT and ends the socket without waiting for the server to hang up: both are
 * handed to the kernel, which delivers them even if the process exits first. So the socket
 * must not keep the process alive for the server's answer either; ssh2 has no public unref.
 */
function endClient(client: Client): Promise<void> {
  client.end();
  (client as unknown as { _sock?: { unref?(): void } })._sock?.unref?.();
  return Promise.resolve();
}

function forwardOut(client: Client, address: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', 0, address, port, (err, channel) => (err ? reject(err) : resolve(channel)));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * Best effort: asks the server to SIGKILL the remote command. ClientChannel.signal() does nothing
 * once stdin has been ended (and we always end it), so this goes one level down. OpenSSH honours
 * signal requests only in a privilege-separated session, i.e. not for root logins; there the
 * command keeps running after the channel is closed. Use `timeout` in argv for a hard remote limit.
 */
function killRemote(stream: ClientChannel): void {
  const ch = stream as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, name: string): void } };
  };
  try {
    const state = ch.outgoing?.state;
    if (state === 'open' || state === 'eof') ch._client?._protocol?.signal(ch.outgoing!.id, 'KILL');
  } catch {
    // closing the channel is the fallback
  }
}

class SshSession implements HostSession {
  private sftp?: Promise<SFTPWrapper>;
  private closed = false;
  private readonly label: string;

  constructor(
    readonly host: Host,
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly channels: LimitFunction,
    private readonly onClosed: () => void,
  ) {
    this.label = targetLabel(target);
  }

  markClosed(): void {
    this.closed = true;
    this.onClosed();
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const command = shellCommand(argv);
    return this.channels(() => this.exec(command, opts));
  }

  runHeld(argv: readonly string[], marker: string, opts: RunOptions = {}): Promise<HeldRun> {
    const command = shellCommand(argv);
    const label = this.label;
    return new Promise<HeldRun>((resolveFirst, rejectFirst) => {
      let settled = false;
      let stdout = Buffer.alloc(0);
      const stderr: Buffer[] = [];
      const markerBytes = Buffer.from(marker);
      // Answers are read in order: each ends at the next marker after what was consumed.
      let consumed = 0;
      let waiting: { resolve: (text: string) => void; reject: (e: Error) => void } | undefined;
      let chain: Promise<unknown> = Promise.resolve();
      let closed = false;
      let stream!: ClientChannel;
      const take = (): string | undefined => {
        const at = stdout.indexOf(markerBytes, consumed);
        if (at < 0) return undefined;
        const text = stdout.subarray(consumed, at).toString('utf8');
        consumed = at + markerBytes.length;
        return text;
      };
      const exchange = (input: string): Promise<string> => {
        const next = chain.then(
          () =>
            new Promise<string>((resolve, reject) => {
              if (closed) return reject(new OperationalError(`${label}: the held command has ended: ${brief(command)}`));
              waiting = { resolve, reject };
              stream.write(input);
            }),
        );
        chain = next.catch(() => undefined);
        return next;
      };
      let finish!: (input?: string) => Promise<RunResult>;
      const done = this.channels(() =>
        this.exec(command, {}, (s) => {
          stream = s;
          let timer: NodeJS.Timeout | undefined;
          if (opts.timeoutMs !== undefined) {
            timer = setTimeout(() => {
              if (settled) return;
              settled = true;
              stream.close();
              rejectFirst(new OperationalError(`${label}: no answer within ${opts.timeoutMs} ms: ${brief(command)}`));
            }, opts.timeoutMs);
          }
          const ended = new Promise<void>((r) => stream.once('close', () => r()));
          finish = async (input?: string) => {
            await chain;
            if (!closed) stream.end(input);
            await ended;
            return done;
          };
          stream.on('data', (d: Buffer) => {
            stdout = Buffer.concat([stdout, d]);
            if (!settled) {
              const first = take();
              if (first === undefined) return;
              settled = true;
              if (timer) clearTimeout(timer);
              resolveFirst({ first: { code: 0, stdout: first, stderr: Buffer.concat(stderr).toString('utf8') }, exited: false, exchange, end: finish });
            }
            if (waiting) {
              const answer = take();
              if (answer === undefined) return;
              const w = waiting;
              waiting = undefined;
              w.resolve(answer);
            }
          });
          stream.stderr.on('data', (d: Buffer) => stderr.push(d));
          stream.once('close', () => {
            closed = true;
            if (timer) clearTimeout(timer);
            waiting?.reject(new OperationalError(`${label}: connection lost or command ended before answering: ${brief(command)}`));
            waiting = undefined;
          });
        }),
      );
      done.then(
        (r) => {
          if (settled) return;
          settled = true;
          resolveFirst({ first: r, exited: true, exchange, end: async () => r });
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          rejectFirst(err);
        },
      );
      // A command that fails after the marker reports it through end().
      done.catch(() => undefined);
    });
  }

  private exec(command: string, opts: RunOptions, attach?: (stream: ClientChannel) => void): Promise<RunResult> {
    this.assertOpen();
    return new Promise<RunResult>((resolve, reject) => {
      const fail = (why: string, cause?: unknown) =>
        reject(new OperationalError(`${this.label}: ${why}: ${brief(command)}`, { cause }));
      try {
        this.client.exec(command, (err, stream) => {
          if (err) return fail(`cannot start command (${err.message})`, err);
          const stdout: Buffer[] = [];
          const stderr: Buffer[] = [];
          let code: number | undefined;
          let timer: NodeJS.Timeout | undefined;
          let timedOut = false;
          if (opts.timeoutMs !== undefined) {
            timer = setTimeout(() => {
              timedOut = true;
              killRemote(stream);
              stream.close();
              // Settle now: a server that ignores the signal would otherwise hold us until the command ends.
              fail(`timed out after ${opts.timeoutMs} ms`);
            }, opts.timeoutMs);
          }
          stream.on('data', (d: Buffer) => stdout.push(d));
          stream.stderr.on('data', (d: Buffer) => stderr.push(d));
          stream.on('exit', (exitCode: number | null, signal?: string) => {
            if (typeof exitCode === 'number') code = exitCode;
            else if (signal !== undefined) code = 128 + (osConstants.signals[`SIG${signal}` as keyof typeof osConstants.signals] ?? 0);
          });
          stream.on('close', () => {
            if (timer) clearTimeout(timer);
            if (timedOut) return;
            if (code === undefined) return fail('connection lost before the command finished');
            resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
          });
          stream.on('error', (e: Error) => fail(e.message, e));
          // Always send EOF, so a command that reads stdin does not wait forever; a held command
          // gets it from end().
          if (attach) attach(stream);
          else if (opts.stdin !== undefined) stream.end(opts.stdin);
          else stream.end();
        });
      } catch (err) {
        fail(`cannot start command (${(err as Error).message})`, err);
      }
    });
  }

  async putFiles(files: readonly FileToPut[]): Promise<void> {
    if (files.length === 0) return;
    await sftpPutFiles(await this.sftpChannel(), this.label, files);
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    return sftpReadFile(await this.sftpChannel(), this.label, file);
  }

  async dial(address: string, port: number): Promise<Duplex> {
    this.assertOpen();
    try {
      return await forwardOut(this.client, address, port);
    } catch (err) {
      throw new OperationalError(`${this.label}: cannot open tunnel to ${address}:${port}: ${(err as Error).message}`, { cause: err });
    }
  }

  async dialUnix(socketPath: string): Promise<Duplex> {
    this.assertOpen();
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        this.client.openssh_forwardOutStreamLocal(socketPath, (err, channel) => (err ? reject(err) : resolve(channel)));
      });
    } catch (err) {
      throw new OperationalError(`${this.label}: cannot open a channel to ${socketPath}: ${(err as Error).message}`, { cause: err });
    }
  }

  async execStream(argv: readonly string[]): Promise<Duplex> {
    this.assertOpen();
    const command = shellCommand(argv);
    return new Promise<Duplex>((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new OperationalError(`${this.label}: cannot start ${brief(command)} (${err.message})`, { cause: err }));
        stream.stderr.resume();
        resolve(stream);
      });
    });
  }

  async files(): Promise<RemoteFiles> {
    return sftpFiles(await this.sftpChannel(), this.label);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.markClosed();
    await endClient(this.client);
  }

  private sftpChannel(): Promise<SFTPWrapper> {
    this.assertOpen();
    if (this.sftp === undefined) {
      this.sftp = new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((err, sftp) => {
          if (err) return reject(new OperationalError(`${this.label}: cannot start SFTP (${err.message})`, { cause: err }));
          sftp.on('close', () => (this.sftp = undefined));
          resolve(sftp);
        });
      });
      this.sftp.catch(() => (this.sftp = undefined));
    }
    return this.sftp;
  }

  private assertOpen(): void {
    if (this.closed) throw new OperationalError(`${this.label}: connection is closed`);
  }
}
