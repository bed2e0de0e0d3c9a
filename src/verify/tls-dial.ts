// Verify against servers whose client port speaks only TLS: every stream a Dial opens (an SSH
// forwardOut channel, a socket) is wrapped in a TLS client with zkplan's own client certificate,
// checking the server's certificate against the ensemble's CA and the address verify reaches it
// by. The four-letter words and the ZooKeeper sessions (src/verify/zk-connection.ts) then run
// unchanged over the decrypted stream.
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { SecurityPlan } from '../plan/types.js';
import { DialError, type Dial } from './dial.js';

export interface TlsClientMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * TLS first, plain text when the handshake fails: while security is turned on or off server by
 * server, a client port may speak either (zkplan's certificate is always offered, and checked).
 */
export function tlsOrPlainDial(inner: Dial, material: TlsClientMaterial, timeoutMs = TLS_HANDSHAKE_TIMEOUT_MS): Dial {
  const tls = tlsDial(inner, material, timeoutMs);
  return (address, port) => tls(address, port).catch(() => inner(address, port));
}

export function tlsDial(inner: Dial, material: TlsClientMaterial, timeoutMs = TLS_HANDSHAKE_TIMEOUT_MS): Dial {
  return async (address, port) => {
    const raw = await inner(address, port);
    return new Promise<Duplex>((resolve, reject) => {
      const tls = connect({
        socket: raw,
        key: material.key,
        cert: material.cert,
        ca: material.ca,
        // the name zkplan reaches the server by (an address: no SNI), checked against its certificate
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(address, cert),
      });
      const timer = setTimeout(() => fail(new Error(`TLS handshake timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        tls.destroy();
        raw.destroy();
        reject(new DialError(address, port, `TLS: ${err.message}`, { cause: err }));
      };
      tls.once('error', fail);
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.removeListener('error', fail);
        // later errors surface to whoever reads the stream
        resolve(tls);
      });
    });
  };
}

/**
 * How verify speaks to the client port: plain text while a plain port is open on every server
 * (no client TLS, `both`, and the unify step, where client.portUnification takes plain text too);
 * TLS once the port is TLS only; in the tls step of `only` (a step that can meet TLS-only servers
 * on the way back, port-unified ones on the way there), TLS first, then plain text.
 */
export function clientPortDial(plain: Dial, security: SecurityPlan | undefined, client: TlsClientMaterial | undefined): Dial {
  if (!client || security?.clientTls !== 'only' || security.phase === 'unify') return plain;
  return security.phase === 'tls' ? tlsOrPlainDial(plain, client) : tlsDial(plain, client);
}

/**
 * The certificate (DER) a TLS port presents to `material`'s client certificate, checked against
 * its CA and the address it is reached by: how apply sees that a server reloaded a renewed one.
 */
export async function presentedCertificate(inner: Dial, address: string, port: number, material: TlsClientMaterial, timeoutMs = TLS_HANDSHAKE_TIMEOUT_MS): Promise<Buffer> {
  // A one-shot probe: what either stream reports once it is being closed cannot matter.
  const quiet: Dial = async (a, p) => (await inner(a, p)).on('error', () => undefined);
  const stream = (await tlsDial(quiet, material, timeoutMs)(address, port)) as TLSSocket;
  stream.on('error', () => undefined);
  try {
    return stream.getPeerCertificate().raw;
  } finally {
    stream.destroy();
  }
}
