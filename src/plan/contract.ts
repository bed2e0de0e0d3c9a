// What an image's contract cannot carry, refused at plan time with the inventory position:
// environment that would override zkplan's own variables, more zoo.cfg lines than the aliyun
// image reads, words a version without a whitelist ignores.
import type { EnsembleSpec } from '../inventory/types.js';
import { aliyunConfigLines, imageProfile } from '../render/profiles/index.js';
import type { Addressing } from '../render/types.js';
import type { Report } from './placement.js';
import { ALIYUN_MAX_LINES } from './settings.js';
import type { EnsemblePlan } from './types.js';
import { atLeast } from './version.js';

const RESOLVED: Addressing = { hostAddress: 'resolved', overrides: {} };

export function checkImageContract(e: EnsemblePlan, spec: EnsembleSpec, report: Report): void {
  checkEnvironment(e, spec, report);
  if (e.profile === 'aliyun') checkAliyunLines(e, spec, report);
  if (spec.four_letter_words !== undefined && !atLeast(e.version, 3, 5)) {
    report(
      ['ensembles', spec.index, 'four_letter_words'],
      `four_letter_words is not needed for ZooKeeper ${e.version.text}: 3.4 answers every four-letter word (zkplan writes no whitelist)`,
      'warning',
    );
  }
}

function checkEnvironment(e: EnsemblePlan, spec: EnsembleSpec, report: Report): void {
  if (e.settings.env.length === 0) return;
  const profile = imageProfile(e.profile);
  const set = new Set(e.servers.flatMap((s) => profile.environment(s, e, RESOLVED).map(([k]) => k)));
  for (const [name] of e.settings.env) {
    if (!set.has(name) && !profile.reserved.test(name)) continue;
    const use = name.startsWith('ZOO_CFG_') || name === 'ZOO_CFG_EXTRA' ? '; put zoo.cfg entries in zoo_cfg' : name === 'JVMFLAGS' || name === 'ZOO_HEAP_SIZE' ? '; set heap instead' : '';
    report(['ensembles', spec.index, 'env', name], `env ${name} is set by zkplan for the ${e.profile} image and cannot be overridden${use}`, 'error', 'key');
  }
}

function checkAliyunLines(e: EnsemblePlan, spec: EnsembleSpec, report: Report): void {
  // More servers than lines is reported at `servers` already.
  if (e.servers.length > ALIYUN_MAX_LINES) return;
  for (const s of e.servers) {
    const lines = aliyunConfigLines(s, e, RESOLVED);
    if (lines.length <= ALIYUN_MAX_LINES) continue;
    const keys = lines.map((l) => l.slice(0, l.indexOf('=')).replace(/^server\.\d+$/, 'server.N'));
    const counted = [...new Set(keys)].map((k) => `${k}${keys.filter((x) => x === k).length > 1 ? ` ×${keys.filter((x) => x === k).length}` : ''}`);
    report(
      ['ensembles', spec.index, spec.zoo_cfg ? 'zoo_cfg' : 'servers'],
      `the aliyun image appends at most ${ALIYUN_MAX_LINES} zoo.cfg lines (ADDITIONAL_ZOOKEEPER_1..${ALIYUN_MAX_LINES}); server ${s.name} of ensemble "${e.name}" ` +
        `needs ${lines.length} (${counted.join(', ')}): drop zoo_cfg entries, turn autopurge or metrics off, or use another profile`,
    );
    return;
  }
}
