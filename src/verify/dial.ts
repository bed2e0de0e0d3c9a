// How verify reaches a ZooKeeper server. Everything in verify talks to a Duplex, never to a
// socket, so the same checks run over a direct TCP connection or an SSH forwardOut channel.

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { endpoint } from '../common/address.js';

export type Dial = (address: string, port: number) => Promise<Duplex>;

export class DialError extends Error {
  override name = 'DialError';
  constructor(
    readonly address: string,
    readonly port: number,
    /** What went wrong, without the endpoint (callers that name the endpoint use this). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${endpoint(address, port)}: ${detail}`, options);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listening?)',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  ENOTFOUND: 'name does not resolve',
  EAI_AGAIN: 'name lookup failed (temporary)',
};

/** Node's messages repeat the address ("connect ECONNREFUSED 10.0.0.1:2181"); say what it means instead. */
function describeNetError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && ERRNO_TEXT[code] !== undefined ? `${ERRNO_TEXT[code]} [${code}]` : err.message;
}

export { endpoint } from '../common/address.js';

export const DEFAULT_DIAL_TIMEOUT_MS = 5000;

/** Plain TCP. The timeout bounds only connection setup; callers bound the exchange itself. */
export function directDial(address: string, port: number, timeoutMs = DEFAULT_DIAL_TIMEOUT_MS): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError(address, port, `connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(new DialError(address, port, describeNetError(err), { cause: err }));
    };
    socket.once('error', onError);
  });
}

/** A Dial whose connect timeout is fixed, for callers that need a plain `Dial` value. */
export function directDialWithTimeout(timeoutMs: number): Dial {
  return (address, port) => directDial(address, port, timeoutMs);
}
