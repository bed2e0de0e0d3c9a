// bitnami/zookeeper (legacy): libzookeeper.sh generates zoo.cfg from ZOO_* (FACTS §3).
import { jaasFlag, securityConfig } from '../../plan/security.js';
import { byId, literal, peerSpec } from '../server-line.js';
import type { EnvPair, ImageProfile } from './types.js';

export const bitnami: ImageProfile = {
  name: 'bitnami',
  // /bitnami/zookeeper holds data/ (snapshots, logs, myid) and nothing else persistent.
  dataMountTarget: '/bitnami/zookeeper',
  // Outside /bitnami/zookeeper, so that it is not a mount inside the data mount.
  dataLog: { target: '/bitnami/zookeeper-datalog', always: false },
  reserved: /^(ZOO_(SERVER_ID|SERVERS|PORT_NUMBER|4LW_COMMANDS_WHITELIST|LISTEN_ALLIPS_ENABLED|RECONFIG_ENABLED|PEER_TYPE|ENABLE_ADMIN_SERVER|ADMIN_SERVER_PORT_NUMBER|AUTOPURGE_INTERVAL|AUTOPURGE_RETAIN_COUNT|HEAP_SIZE|DATA_DIR|DATA_LOG_DIR|ENABLE_PROMETHEUS_METRICS|PROMETHEUS_METRICS_PORT_NUMBER|CFG_\w+)|ALLOW_ANONYMOUS_LOGIN|ALLOW_EMPTY_PASSWORD)$/,
  // USER 1001 (group root): it must be able to write its bind-mounted data directory. A fresh
  // named volume needs nothing: Docker copies the image's 1001-owned /bitnami/zookeeper into it.
  runAsUid: 1001,
  environment(server, ensemble, addressing) {
    const cfg = server.config;
    const settings = ensemble.settings;
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
    // libzookeeper.sh has a variable for reconfigEnabled, none for standaloneEnabled.
    if (settings.reconfig) env.push(['ZOO_RECONFIG_ENABLED', 'yes'], ['ZOO_CFG_standaloneEnabled', 'false']);
    // The image's default differs between tags (yes on 3.8, no on 3.9), so always say it.
    if (cfg.adminServer !== null) {
      env.push(['ZOO_ENABLE_ADMIN_SERVER', cfg.adminServer.enabled ? 'yes' : 'no']);
      if (cfg.adminServer.enabled && cfg.adminServer.port !== undefined) {
        env.push(['ZOO_ADMIN_SERVER_PORT_NUMBER', String(cfg.adminServer.port)]);
      }
    }
    if (settings.autopurge !== null) {
      env.push(['ZOO_AUTOPURGE_INTERVAL', String(settings.autopurge.purgeIntervalHours)]);
      env.push(['ZOO_AUTOPURGE_RETAIN_COUNT', String(settings.autopurge.snapRetainCount)]);
    }
    // libzookeeper.sh writes -Xmx and -Xms from it (MB).
    if (settings.heapMiB !== undefined) env.push(['ZOO_HEAP_SIZE', String(settings.heapMiB)]);
    if (server.dataLogDir !== undefined) env.push(['ZOO_DATA_LOG_DIR', bitnami.dataLog.target]);
    if (server.ports.metrics !== undefined) {
      env.push(['ZOO_ENABLE_PROMETHEUS_METRICS', 'yes'], ['ZOO_PROMETHEUS_METRICS_PORT_NUMBER', String(server.ports.metrics)]);
    }
    // Security goes through ZOO_CFG_<KEY> and JVMFLAGS, not the image's ZOO_TLS_* and
    // ZOO_ENABLE_QUORUM_AUTH: those turn every quorum flag on at once (no port unification, both
    // SASL "require" flags together) and write the SASL passwords into a JAAS file from variables,
    // so no phased rollout could be expressed. Paths only: the key material and zkplan's JAAS file
    // are mounted files (src/plan/security.ts). libzookeeper.sh appends its own flags to JVMFLAGS.
    if (ensemble.security) {
      const jaas = jaasFlag(ensemble.security);
      if (jaas !== undefined) env.push(['JVMFLAGS', jaas]);
      const securePort = ensemble.security.clientTls === 'only' ? cfg.clientPort : server.ports.secureClient;
      for (const [key, value] of securityConfig(ensemble.security, securePort)) env.push([zooCfgVariable(key), value]);
    }
    for (const [key, value] of settings.zooCfg) env.push([zooCfgVariable(key), literal(value, addressing)]);
    return env;
  },
};

/** ZOO_CFG_<KEY>: the image turns every '_' of KEY into '.' (the planner refuses zoo_cfg keys with '_'). */
function zooCfgVariable(key: string): string {
  return `ZOO_CFG_${key.replace(/\./g, '_')}`;
}
