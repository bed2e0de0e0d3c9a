// How zkplan's own checks reach a secured ensemble's client port, for every target.
import type { SecurityPlan } from '../plan/security.js';
import type { Dial } from '../verify/dial.js';
import { tlsDial, tlsOrPlainDial, type TlsClientMaterial } from '../verify/tls-dial.js';

/**
 * How verify speaks to the client port: plain text while a plain port is open on every server
 * (no client TLS, `both`, and the unify step, where client.portUnification takes plain text too);
 * TLS once the port is TLS only; in the tls step of `only` (a step that can meet TLS-only servers
 * on the way back, port-unified ones on the way there), TLS first, then plain text.
 */
export function clientDial(plain: Dial, security: SecurityPlan | undefined, client: TlsClientMaterial | undefined): Dial {
  if (!client || security?.clientTls !== 'only' || security.phase === 'unify') return plain;
  return security.phase === 'tls' ? tlsOrPlainDial(plain, client) : tlsDial(plain, client);
}

