// Docker Hub `zookeeper` (31z4/zookeeper-docker): docker-entrypoint.sh builds zoo.cfg from ZOO_* (FACTS §2).
import { byId, serverLine } from '../server-line.js';
import { mountsOf, versionAtLeast, type EnvPair, type ImageProfile, type StateDir } from './types.js';

// ZOO_DATA_DIR=/data and ZOO_DATA_LOG_DIR=/datalog are both VOLUMEs: transaction logs live in
// the second, so mounting only /data would lose them with the container.
const STATE: readonly StateDir[] = [
  { name: 'data', target: '/data' },
  { name: 'datalog', target: '/datalog' },
];

export const official: ImageProfile = {
  name: 'official',
  dataMountTarget: '/data',
  stateDirs: STATE,
  dataMounts: (dataDir) => mountsOf(STATE, dataDir),
  environment(server, ensemble, addressing) {
    const cfg = server.config;
    const env: EnvPair[] = [['ZOO_MY_ID', String(cfg.myid)]];
    // The entrypoint splits ZOO_SERVERS on whitespace, so entries are space-separated.
    env.push(['ZOO_SERVERS', byId(cfg.servers).map((e) => serverLine(e, addressing)).join(' ')]);
    if (cfg.fourLetterWords !== null) env.push(['ZOO_4LW_COMMANDS_WHITELIST', cfg.fourLetterWords.join(',')]);
    if (cfg.adminServer !== null) env.push(['ZOO_ADMINSERVER_ENABLED', String(cfg.adminServer.enabled)]);
    // Settings without an env variable of their own go through ZOO_CFG_EXTRA (README "Advanced configuration").
    const extra: string[] = [];
    const admin = cfg.adminServer;
    if (admin?.enabled && admin.port !== undefined && admin.port !== 8080) extra.push(`admin.serverPort=${admin.port}`);
    if (cfg.peerType === 'observer') extra.push('peerType=observer');
    if (cfg.quorumListenOnAllIPs) extra.push('quorumListenOnAllIPs=true');
    if (extra.length > 0) env.push(['ZOO_CFG_EXTRA', extra.join(' ')]);
    // 3.4 images still write clientPort=$ZOO_PORT; 3.5+ take it from the `;port` suffix instead.
    if (!versionAtLeast(ensemble.version, 3, 5) && cfg.clientPort !== 2181) env.push(['ZOO_PORT', String(cfg.clientPort)]);
    return env;
  },
};
