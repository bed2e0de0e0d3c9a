// Inventory combinations that the image or the ZooKeeper version cannot carry: refused here,
// at the inventory position, instead of rendering lines a server would reject at start.
import { isIpv6Literal } from '../common/address.js';
import type { EnsembleSpec } from '../inventory/types.js';
import type { Placement, Report } from './placement.js';
import { atLeast, resolveVersion, versionFromImage } from './version.js';

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
