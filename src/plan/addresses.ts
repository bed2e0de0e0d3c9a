// Static container addresses (the reference article's fourth method): inside the subnet,
// outside Docker's dynamic --ip-range, never the gateway, never twice.
import ipaddr from 'ipaddr.js';
import type { EnsembleSpec } from '../inventory/types.js';
import type { Report } from './placement.js';
import type { DockerNetworkPlan } from './types.js';

/** The article's network: 172.19.0.0/16, dynamic range 172.19.0.0/17, 172.19.128.0/17 left for static addresses. */
export const ARTICLE_STATIC_NETWORK = { subnet: '172.19.0.0/16', gateway: '172.19.0.1', ip_range: '172.19.0.0/17' };

interface Cidr {
  first: number;
  last: number;
  text: string;
}

export function planStaticAddresses(spec: EnsembleSpec, network: DockerNetworkPlan, report: Report): string[] | undefined {
  const at = (field: string) => ['ensembles', spec.index, 'docker_network', field];
  const subnet = parseCidr(network.subnet!, at('subnet'), report);
  const range = network.ipRange ? parseCidr(network.ipRange, at('ip_range'), report) : undefined;
  const gateway = network.gateway ? parseIp(network.gateway, at('gateway'), report) : undefined;
  if (!subnet || (network.ipRange && !range) || (network.gateway && gateway === undefined)) return undefined;
  let ok = true;
  if (range && (range.first < subnet.first || range.last > subnet.last)) {
    report(at('ip_range'), `ip_range ${range.text} is not inside subnet ${subnet.text}`);
    ok = false;
  }
  if (gateway !== undefined && (gateway <= subnet.first || gateway >= subnet.last)) {
    report(at('gateway'), `gateway ${network.gateway} is not a usable address of subnet ${subnet.text}`);
    ok = false;
  }
  // Docker takes the subnet's first address as gateway when none is given.
  const reservedGateway = gateway ?? subnet.first + 1;
  const total = spec.servers + spec.observers;
  const given = spec.docker_network?.addresses;

  if (given) {
    if (given.length !== total) {
      report(at('addresses'), `ensemble "${spec.name}" has ${total} members but docker_network.addresses lists ${given.length}`);
      ok = false;
    }
    const seen = new Map<number, number>();
    given.forEach((text, i) => {
      const path = [...at('addresses'), i];
      const ip = parseIp(text, path, report);
      if (ip === undefined) return void (ok = false);
      const problem =
        ip <= subnet.first || ip >= subnet.last
          ? `is outside subnet ${subnet.text}`
          : ip === reservedGateway
            ? `is the gateway`
            : range && ip >= range.first && ip <= range.last
              ? `is inside ip_range ${range.text}, where Docker hands out dynamic addresses`
              : seen.has(ip)
                ? `is used twice (also addresses[${seen.get(ip)}])`
                : undefined;
      if (problem) {
        report(path, `static address ${text} ${problem}`);
        ok = false;
      }
      seen.set(ip, i);
    });
    return ok ? given.map((t) => ipaddr.parse(t).toString()) : undefined;
  }
  if (!ok) return undefined;

  const chosen: string[] = [];
  // Start after the dynamic range when it sits at the start of the subnet (the article's layout).
  const start = range && range.first <= subnet.first + 1 ? range.last + 1 : subnet.first + 1;
  for (let ip = start; ip < subnet.last && chosen.length < total; ip++) {
    if (ip === reservedGateway || (range && ip >= range.first && ip <= range.last)) continue;
    if ((ip & 0xff) === 0 || (ip & 0xff) === 0xff) continue; // .0/.255 confuse people even where valid
    chosen.push(fromInt(ip));
  }
  if (chosen.length < total) {
    report(at('subnet'), `subnet ${subnet.text} has no room for ${total} static addresses outside ip_range`);
    return undefined;
  }
  if (!range) {
    report(at('subnet'), `without ip_range Docker may give one of the static addresses to another container; set ip_range to a part of the subnet the static addresses stay out of`, 'warning');
  }
  return chosen;
}

function parseCidr(text: string, path: (string | number)[], report: Report): Cidr | undefined {
  try {
    const [addr, bits] = ipaddr.parseCIDR(text);
    if (addr.kind() !== 'ipv4') throw new Error('IPv6');
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    const first = (toInt(addr as ipaddr.IPv4) & mask) >>> 0;
    return { first, last: first + 2 ** (32 - bits) - 1, text };
  } catch {
    report(path, `invalid IPv4 CIDR "${text}" (expected e.g. 172.19.0.0/16)`);
    return undefined;
  }
}

function parseIp(text: string, path: (string | number)[], report: Report): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
    report(path, `invalid IPv4 address "${text}"`);
    return undefined;
  }
  return toInt(ipaddr.IPv4.parse(text));
}

function toInt(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((n, o) => n * 256 + o, 0);
}

function fromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}
