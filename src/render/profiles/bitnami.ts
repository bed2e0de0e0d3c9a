// bitnami/zookeeper (legacy): libzookeeper.sh generates zoo.cfg from ZOO_* (FACTS §3).
import { byId, peerSpec } from '../server-line.js';
import { mountsOf, type EnvPair, type ImageProfile, type StateDir } from './types.js';

// /bitnami/zookeeper holds data/ (snapshots, logs, myid) and nothing else persistent.
const STATE: readonly StateDir[] = [{ name: 'data', target: '/bitnami/zookeeper' }];

export const bitnami: ImageProfile = {
  name: 'bitnami',
  dataMountTarget: '/bitnami/zookeeper',
  stateDirs: STATE,
  // USER 1001 (group root): it must be able to write its bind-mounted data directory. A fresh
  // named volume needs nothing: Docker copies the image's 1001-owned /bitnami/zookeeper into it.
  runAsUid: 1001,
  dataMounts: (dataDir) => mountsOf(STATE, dataDir),
  environment(server, ensemble, addressing) {
    const cfg = server.config;
    // Explicit `::id` on every entry: without it bitnami numbers servers by position.
    const servers = byId(cfg.servers).map((e) => `${peerSpec(e, addressing)}::${e.id}`);
    const env: EnvPair[] = [
      ['ZOO_SERVER_ID', String(cfg.myid)],
      ['ZOO_SERVERS', servers.join(',')],
      ['ZOO_PORT_NUMBER', String(cfg.clientPort)],
      // The start gate without authentication: 3.8 builds read the first, 3.9/debian-12 builds
      // renamed it to the second with no alias. Which one a tag reads is not knowable from the
      // tag alone (3.9 builds before the rename read the first), so both are set.
      ['ALLOW_ANONYMOUS_LOGIN', 'yes'],
      ['ALLOW_EMPTY_PASSWORD', 'yes'],
    ];
    if (cfg.fourLetterWords !== null) env.push(['ZOO_4LW_COMMANDS_WHITELIST', cfg.fourLetterWords.join(',')]);
    if (cfg.quorumListenOnAllIPs) env.push(['ZOO_LISTEN_ALLIPS_ENABLED', 'yes']);
    if (cfg.peerType === 'observer') env.push(['ZOO_PEER_TYPE', 'observer']);
    // The image's default differs between tags (yes on 3.8, no on 3.9), so always say it.
    if (cfg.adminServer !== null) {
      env.push(['ZOO_ENABLE_ADMIN_SERVER', cfg.adminServer.enabled ? 'yes' : 'no']);
      if (cfg.adminServer.enabled && cfg.adminServer.port !== undefined) {
        env.push(['ZOO_ADMIN_SERVER_PORT_NUMBER', String(cfg.adminServer.port)]);
      }
    }
    return env;
  },
};
