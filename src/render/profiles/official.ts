// Docker Hub `zookeeper` (31z4/zookeeper-docker): docker-entrypoint.sh builds zoo.cfg from ZOO_* (FACTS §2).
import { jaasFlag, securityConfig } from '../../plan/security.js';
import { PROMETHEUS_PROVIDER } from '../../plan/settings.js';
import { byId, literal, serverLine } from '../server-line.js';
import { heapFlags, versionAtLeast, type EnvPair, type ImageProfile } from './types.js';

export const official: ImageProfile = {
  name: 'official',
  dataMountTarget: '/data',
  // ZOO_DATA_LOG_DIR=/datalog is a VOLUME of its own: mounting only /data would lose the
  // transaction logs with the container.
  dataLog: { target: '/datalog', always: true },
  reserved: /^ZOO_(MY_ID|SERVERS|CFG_EXTRA|4LW_COMMANDS_WHITELIST|ADMINSERVER_ENABLED|STANDALONE_ENABLED|AUTOPURGE_PURGEINTERVAL|AUTOPURGE_SNAPRETAINCOUNT|DATA_DIR|DATA_LOG_DIR|CONF_DIR|PORT)$/,
  environment(server, ensemble, addressing) {
    const cfg = server.config;
    const settings = ensemble.settings;
    const env: EnvPair[] = [['ZOO_MY_ID', String(cfg.myid)]];
    // The entrypoint splits ZOO_SERVERS on whitespace, so entries are space-separated.
    env.push(['ZOO_SERVERS', byId(cfg.servers).map((e) => serverLine(e, addressing)).join(' ')]);
    if (cfg.fourLetterWords !== null) env.push(['ZOO_4LW_COMMANDS_WHITELIST', cfg.fourLetterWords.join(',')]);
    if (cfg.adminServer !== null) env.push(['ZOO_ADMINSERVER_ENABLED', String(cfg.adminServer.enabled)]);
    // The entrypoint writes standaloneEnabled=$ZOO_STANDALONE_ENABLED itself (default true).
    if (settings.reconfig) env.push(['ZOO_STANDALONE_ENABLED', 'false']);
    if (settings.autopurge !== null) {
      env.push(['ZOO_AUTOPURGE_PURGEINTERVAL', String(settings.autopurge.purgeIntervalHours)]);
      env.push(['ZOO_AUTOPURGE_SNAPRETAINCOUNT', String(settings.autopurge.snapRetainCount)]);
    }
    // zkServer.sh puts JVMFLAGS after its own -Xmx (ZK_SERVER_HEAP, 1000 MB), and the last -Xmx wins.
    const jaas = ensemble.security ? jaasFlag(ensemble.security) : undefined;
    const jvmFlags = [...(settings.heapMiB !== undefined ? [heapFlags(settings.heapMiB)] : []), ...(jaas ? [jaas] : [])];
    if (jvmFlags.length > 0) env.push(['JVMFLAGS', jvmFlags.join(' ')]);
    // Settings without an env variable of their own go through ZOO_CFG_EXTRA (README "Advanced configuration").
    const extra: string[] = [];
    const admin = cfg.adminServer;
    if (admin?.enabled && admin.port !== undefined && admin.port !== 8080) extra.push(`admin.serverPort=${admin.port}`);
    if (cfg.peerType === 'observer') extra.push('peerType=observer');
    if (cfg.quorumListenOnAllIPs) extra.push('quorumListenOnAllIPs=true');
    if (settings.reconfig) extra.push('reconfigEnabled=true');
    if (server.ports.metrics !== undefined) {
      extra.push(`metricsProvider.className=${PROMETHEUS_PROVIDER}`, `metricsProvider.httpPort=${server.ports.metrics}`);
    }
    // Paths only: the key material and the JAAS file are mounted files (src/plan/security.ts).
    if (ensemble.security) {
      const securePort = ensemble.security.clientTls === 'only' ? cfg.clientPort : server.ports.secureClient;
      for (const [key, value] of securityConfig(ensemble.security, securePort)) extra.push(`${key}=${value}`);
    }
    for (const [key, value] of settings.zooCfg) extra.push(`${key}=${literal(value, addressing)}`);
    if (extra.length > 0) env.push(['ZOO_CFG_EXTRA', extra.join(' ')]);
    // 3.4 images still write clientPort=$ZOO_PORT; 3.5+ take it from the `;port` suffix instead.
    if (!versionAtLeast(ensemble.version, 3, 5) && cfg.clientPort !== 2181) env.push(['ZOO_PORT', String(cfg.clientPort)]);
    return env;
  },
};
