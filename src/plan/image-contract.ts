// What an image or a ZooKeeper version cannot carry, refused at plan time with the inventory
// position instead of rendering lines a server would reject at start: environment that would
// override zkplan's own variables, more zoo.cfg lines than the aliyun image reads, words a version
// without a whitelist ignores, a zookeeper_version the image tag contradicts, IPv6 host addresses
// a server line or an image cannot parse.
import { isIpv6Literal } from '../common/address.js';
import type { EnsembleSpec } from '../inventory/types.js';
import { aliyunConfigLines, imageProfile } from '../render/profiles/index.js';
import type { Addressing } from '../render/types.js';
import type { Placement, Report } from './placement.js';
import { ALIYUN_MAX_LINES } from './settings.js';
import type { EnsemblePlan } from './types.js';
import { atLeast, resolveVersion, versionFromImage } from './version.js';

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

/** `zookeeper_version` may say less than the tag (3.9 for 3.9.2), never something else. */
export function checkVersionAgreement(spec: EnsembleSpec, report: Report): void {
  const given = spec.zookeeper_version;
  const tagged = versionFromImage(spec.image);
  if (given === undefined || tagged === undefined) return;
  const a = given.split('.');
  const b = tagged.split('.');
  if (a.every((part, i) => b[i] === undefined || Number(part) === Number(b[i]))) return;
  report(
    ['ensembles', spec.index, 'zookeeper_version'],
    `zookeeper_version "${given}" contradicts image "${spec.image}", whose tag says ZooKeeper ${tagged}; make them agree or drop zookeeper_version`,
  );
}

/**
 * Host addresses in server lines (host networking): ZooKeeper 3.4 splits a server line at every
 * colon, so an IPv6 address cannot be written there; bitnami's libzookeeper.sh splits ZOO_SERVERS
 * entries at `::` (its `::id` suffix), so a compressed IPv6 address breaks its entry.
 */
export function checkPeerAddresses(spec: EnsembleSpec, placement: Placement, report: Report): void {
  if (spec.network !== 'host') return;
  const version = resolveVersion(spec);
  const hosts = [...new Map(placement.assignments.map((a) => [a.host.index, a.host])).values()];
  for (const host of hosts.filter((h) => isIpv6Literal(h.address))) {
    const at = ['hosts', host.index, 'address'];
    if (!atLeast(version, 3, 5)) {
      report(at, `IPv6 address ${host.address} of host "${host.name}" cannot be written in a ZooKeeper ${version.text} server line (ensemble "${spec.name}"); use an IPv4 address or a host name, or ZooKeeper 3.5+`);
    } else if (spec.profile === 'bitnami' && host.address.includes('::')) {
      report(at, `the bitnami image splits ZOO_SERVERS entries at "::", so ensemble "${spec.name}" cannot use host "${host.name}" at ${host.address}; write the address without "::" (every group spelled out) or use a host name`);
    }
  }
}
