// registry.aliyuncs.com/acs-sample/zookeeper: run.sh writes SERVER_ID to myid and appends
// ADDITIONAL_ZOOKEEPER_1..10 to zoo.cfg as raw lines (FACTS §1). Its zkServer.sh (ZooKeeper
// 3.4.8's own) passes $JVMFLAGS to java, which is how the heap gets there; nothing else is read.
import { ALIYUN_MAX_LINES, PROMETHEUS_PROVIDER } from '../../plan/settings.js';
import type { EnsemblePlan, ServerPlan } from '../../plan/types.js';
import { byId, literal, serverLine } from '../server-line.js';
import type { Addressing } from '../types.js';
import { heapFlags, type EnvPair, type ImageProfile } from './types.js';

/** Every zoo.cfg line the server needs appended, in order. The planner refuses more than ALIYUN_MAX_LINES. */
export function aliyunConfigLines(server: ServerPlan, ensemble: EnsemblePlan, addressing: Addressing): string[] {
  const cfg = server.config;
  const settings = ensemble.settings;
  const lines = byId(cfg.servers).map((e) => serverLine(e, addressing));
  // The base zoo.cfg already says clientPort=2181; Properties.load keeps the last duplicate.
  if (cfg.clientPort !== 2181) lines.push(`clientPort=${cfg.clientPort}`);
  if (cfg.peerType === 'observer') lines.push('peerType=observer');
  if (cfg.quorumListenOnAllIPs) lines.push('quorumListenOnAllIPs=true');
  if (cfg.fourLetterWords !== null) lines.push(`4lw.commands.whitelist=${cfg.fourLetterWords.join(',')}`);
  if (server.dataLogDir !== undefined) lines.push(`dataLogDir=${aliyun.dataLog.target}`);
  if (settings.autopurge !== null) {
    lines.push(`autopurge.snapRetainCount=${settings.autopurge.snapRetainCount}`, `autopurge.purgeInterval=${settings.autopurge.purgeIntervalHours}`);
  }
  if (server.ports.metrics !== undefined) {
    lines.push(`metricsProvider.className=${PROMETHEUS_PROVIDER}`, `metricsProvider.httpPort=${server.ports.metrics}`);
  }
  for (const [key, value] of settings.zooCfg) lines.push(`${key}=${literal(value, addressing)}`);
  return lines;
}

export const aliyun: ImageProfile = {
  name: 'aliyun',
  // zoo_sample.cfg: dataDir=/tmp/zookeeper, no dataLogDir.
  dataMountTarget: '/tmp/zookeeper',
  dataLog: { target: '/tmp/zookeeper-datalog', always: false },
  reserved: /^(SERVER_ID|ADDITIONAL_ZOOKEEPER_\d+)$/,
  environment(server, ensemble, addressing) {
    const lines = aliyunConfigLines(server, ensemble, addressing);
    if (lines.length > ALIYUN_MAX_LINES) {
      throw new Error(
        `ensemble ${ensemble.name}: server ${server.name} needs ${lines.length} zoo.cfg lines but the aliyun image ` +
          `reads only ADDITIONAL_ZOOKEEPER_1..${ALIYUN_MAX_LINES}; use fewer servers or another profile`,
      );
    }
    const env: EnvPair[] = [['SERVER_ID', String(server.config.myid)], ...lines.map((l, i): EnvPair => [`ADDITIONAL_ZOOKEEPER_${i + 1}`, l])];
    if (ensemble.settings.heapMiB !== undefined) env.push(['JVMFLAGS', heapFlags(ensemble.settings.heapMiB)]);
    return env;
  },
};
