// Opens one authenticated ssh2 connection to a target, over TCP or over a stream that a jump
// host forwarded, and turns every way that can fail into an OperationalError naming the host.

import { connect as dialTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import { OperationalError } from '../common/problems.js';
import { mayAuthenticate, readIdentityFiles, type IdentityFile } from './identity-files.js';
import { loadKnownHosts, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyVerification } from './host-key-policy.js';
import type { SshTarget } from './ssh-target.js';
import { traced, tracePhase } from './trace.js';

export interface ConnectOptions {
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** A stream to the target's SSH port, opened through a jump host. */
  sock?: Duplex;
}

export function targetLabel(t: SshTarget): string {
  const address = t.address.includes(':') ? `[${t.address}]` : t.address;
  return `${t.hostName} (${address}:${t.port})`;
}

/**
 * ssh2, loaded on the first connect: the largest module zkplan loads, so the first TCP dials go
 * out before it (see earlyDial). ssh-auth.js needs ssh2 to parse keys and comes with it.
 */
type Ssh2 = typeof import('ssh2');
let sshModules: Promise<[Ssh2, typeof import('./ssh-auth.js')]> | undefined;
function loadSsh(): NonNullable<typeof sshModules> {
  // a CommonJS package: its module.exports is the default export
  sshModules ??= traced('load ssh2', () => Promise.all([import('ssh2').then((m) => (m as unknown as { default: Ssh2 }).default), import('./ssh-auth.js')]));
  return sshModules;
}

/**
 * The TCP connection to the SSH port, opened before ssh2 has loaded: the server forks its sshd
 * and sends its banner meanwhile. ssh2 takes the socket over as its `sock` when it is still open;
 * a dial that failed or closed is dropped and ssh2 dials again itself, exactly as without this,
 * so every failure reads as it always did.
 */
function earlyDial(target: SshTarget): { alive(): Socket | undefined; drop(): void } {
  const socket = dialTcp({ host: target.address, port: target.port });
  let dead = false;
  const died = () => {
    dead = true;
  };
  socket.on('error', died).on('close', died);
  return {
    alive() {
      socket.off('error', died).off('close', died);
      if (dead) {
        socket.destroy();
        return undefined;
      }
      // as ssh2 does with the socket it dials itself (a session's channels each listen on it)
      socket.setMaxListeners(0);
      return socket;
    },
    drop: () => socket.destroy(),
  };
}

/** Dials at once (nothing before the dial waits), so what the caller loads next overlaps the handshake. */
export async function connectTarget(target: SshTarget, opts: ConnectOptions): Promise<Client> {
  const identities = readIdentityFiles(target);
  // without any credential the connect fails before dialling (and a host is never dialled in vain)
  const early = opts.sock === undefined && mayAuthenticate(target, identities) ? earlyDial(target) : undefined;
  try {
    return await handshake(target, opts, identities, await loadSsh(), early);
  } catch (err) {
    early?.drop();
    throw err;
  }
}

async function handshake(
  target: SshTarget,
  opts: ConnectOptions,
  identities: readonly IdentityFile[],
  [ssh2, { planAuth }]: Awaited<ReturnType<typeof loadSsh>>,
  early: ReturnType<typeof earlyDial> | undefined,
): Promise<Client> {
  const label = targetLabel(target);
  const auth = planAuth(target, identities);
  if (auth.fatal !== undefined) throw new OperationalError(`${label}: ${auth.fatal}`);
  const verification: HostKeyVerification = {
    address: target.address,
    port: target.port,
    knownHostsFiles: target.knownHostsFiles,
    entries: loadKnownHosts(target.knownHostsFiles),
    acceptNew: opts.acceptNewHostKeys,
    label,
  };

  const client = new ssh2.Client();
  // The verifier's own explanation beats ssh2's generic "Host denied (verification failed)".
  let refusal: OperationalError | undefined;
  const config: ConnectConfig = {
    host: target.address,
    port: target.port,
    username: target.user,
    readyTimeout: opts.connectTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    authHandler: auth.methods,
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey(verification, key).then(
        (err) => {
          refusal = err;
          verify(err === undefined);
        },
        (err: unknown) => {
          refusal = new OperationalError(`${label}: host key check failed: ${(err as Error).message}`);
          verify(false);
        },
      );
    },
  };
  const algorithms = preferredHostKeyAlgorithms(verification);
  if (algorithms) config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
  const sock = opts.sock ?? early?.alive();
  if (sock) config.sock = sock;

  const phase = tracePhase(`handshake ${target.hostName}`);
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (err: OperationalError) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.end();
      reject(err);
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      phase.end();
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      fail(refusal ?? describeConnectError(label, target, err, auth.notes, opts.connectTimeoutMs));
    });
    client.once('close', () => fail(refusal ?? new OperationalError(`${label}: connection closed before authentication completed`)));
    try {
      client.connect(config);
      // Small packets go out at once: with Nagle, a request written right after another (the
      // pipelined ZooKeeper reads of verify, an SFTP write after an open) waits for the peer's
      // delayed ACK, tens of milliseconds each time.
      client.setNoDelay(true);
    } catch (err) {
      fail(new OperationalError(`${label}: ${(err as Error).message}`));
    }
  });
}

function describeConnectError(
  label: string,
  target: SshTarget,
  err: Error & { level?: string; code?: string },
  notes: readonly string[],
  timeoutMs: number,
): OperationalError {
  const why = (() => {
    switch (err.level) {
      case 'client-authentication':
        return `authentication refused for user ${target.user}` + (notes.length > 0 ? ` (${notes.join('; ')})` : '');
      case 'client-timeout':
        return `no SSH handshake within ${timeoutMs / 1000} s`;
      case 'client-dns':
        return `cannot resolve ${target.address}: ${err.message}`;
      case 'agent':
        return `ssh-agent at ${target.agentSocket ?? '?'} failed: ${err.message}`;
      case 'client-socket':
        if (err.code === 'ECONNREFUSED') return 'connection refused';
        if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return 'host unreachable';
        if (err.code === 'ETIMEDOUT') return 'connection timed out';
        return `connection failed: ${err.message}`;
      default:
        return `SSH ${err.level ?? 'connection'} error: ${err.message}`;
    }
  })();
  return new OperationalError(`${label}: ${why}`, { cause: err });
}
