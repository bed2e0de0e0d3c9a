// What each server's zoo.cfg must say, following ZOOKEEPER-FACTS §5/§7:
// - ZooKeeper 3.4: `server.x=host:q:e[:observer]` plus a separate clientPort; on container
//   networks the own entry is 0.0.0.0 (the reference article's style; safe on 3.4).
// - 3.5+: `;clientPort` in every server line; the own entry names the server for real
//   (0.0.0.0 broke rejoin before 3.5.8/3.6.1), with quorumListenOnAllIPs where that name
//   may not be a local interface address, or may not resolve yet when the server starts.
import type { NetworkMode } from '../inventory/types.js';
import { atLeast } from './version.js';
import type { AddressRef, Ports, ServerConfig, ServerEntry, ZkVersion } from './types.js';

/** The four-letter words zkplan's own checks send (verify, status, rollout). */
export const HEALTH_CHECK_WORDS = ['conf', 'mntr', 'ruok', 'srvr'];

export interface Member {
  id: number;
  role: 'participant' | 'observer';
  name: string;
  hostAddress: string;
  variable: string;
  linkAlias?: string;
  staticIp?: string;
}

export interface ConfigContext {
  version: ZkVersion;
  network: NetworkMode;
  ports: Ports;
  adminServer: boolean;
  /** the 4lw whitelist where the version has one (HEALTH_CHECK_WORDS and the inventory's words) */
  fourLetterWords: string[];
  /** false under client_tls: only: the client port is the TLS one (secureClientPort), so no `;port` in server lines */
  plainClientPort?: boolean;
}

export function serverConfig(self: Member, members: readonly Member[], ctx: ConfigContext): ServerConfig {
  const modern = atLeast(ctx.version, 3, 5);
  const servers: ServerEntry[] = members.map((m) => ({
    id: m.id,
    address: addressOf(m, m.id === self.id, ctx.network, modern),
    quorumPort: ctx.ports.quorum,
    electionPort: ctx.ports.election,
    role: m.role,
    ...(modern && ctx.plainClientPort !== false ? { clientPort: ctx.ports.client } : {}),
  }));
  return {
    myid: self.id,
    servers,
    clientPort: ctx.ports.client,
    peerType: self.role,
    quorumListenOnAllIPs: modern && (ctx.network === 'overlay' || ctx.network === 'bridge' || ctx.network === 'links'),
    fourLetterWords: modern ? ctx.fourLetterWords : null,
    adminServer: modern ? { enabled: ctx.adminServer, ...(ctx.adminServer && ctx.ports.admin ? { port: ctx.ports.admin } : {}) } : null,
  };
}

function addressOf(m: Member, own: boolean, network: NetworkMode, modern: boolean): AddressRef {
  switch (network) {
    case 'host':
      return { kind: 'host', variable: m.variable, value: m.hostAddress };
    case 'static-ip':
      return { kind: 'ip', value: m.staticIp! };
    case 'links':
      if (own) return modern ? { kind: 'name', value: m.name } : { kind: 'any' };
      return { kind: 'name', value: m.linkAlias! };
    case 'overlay':
    case 'bridge':
      return own && !modern ? { kind: 'any' } : { kind: 'name', value: m.name };
  }
}
