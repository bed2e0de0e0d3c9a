// registry.aliyuncs.com/acs-sample/zookeeper: run.sh writes SERVER_ID to myid and appends
// ADDITIONAL_ZOOKEEPER_1..10 to zoo.cfg as raw lines; nothing else is read (FACTS §1).
import { ALIYUN_MAX_LINES } from '../../plan/plan.js';
import { byId, serverLine } from '../server-line.js';
import { mountsOf, type ImageProfile, type StateDir } from './types.js';

// zoo_sample.cfg: dataDir=/tmp/zookeeper, no dataLogDir.
const STATE: readonly StateDir[] = [{ name: 'data', target: '/tmp/zookeeper' }];

export const aliyun: ImageProfile = {
  name: 'aliyun',
  dataMountTarget: '/tmp/zookeeper',
  stateDirs: STATE,
  dataMounts: (dataDir) => mountsOf(STATE, dataDir),
  environment(server, ensemble, addressing) {
    const cfg = server.config;
    const lines = byId(cfg.servers).map((e) => serverLine(e, addressing));
    // The base zoo.cfg already says clientPort=2181; Properties.load keeps the last duplicate.
    if (cfg.clientPort !== 2181) lines.push(`clientPort=${cfg.clientPort}`);
    if (cfg.peerType === 'observer') lines.push('peerType=observer');
    if (cfg.quorumListenOnAllIPs) lines.push('quorumListenOnAllIPs=true');
    if (cfg.fourLetterWords !== null) lines.push(`4lw.commands.whitelist=${cfg.fourLetterWords.join(',')}`);
    if (lines.length > ALIYUN_MAX_LINES) {
      throw new Error(
        `ensemble ${ensemble.name}: server ${server.name} needs ${lines.length} zoo.cfg lines but the aliyun image ` +
          `reads only ADDITIONAL_ZOOKEEPER_1..${ALIYUN_MAX_LINES}; use fewer servers or another profile`,
      );
    }
    return [['SERVER_ID', String(cfg.myid)], ...lines.map((l, i): [string, string] => [`ADDITIONAL_ZOOKEEPER_${i + 1}`, l])];
  },
};
