// zoo.cfg `server.N=` lines. The address part depends on where the file will be used:
// a deploy-time variable (Aliyun console, compose .env) or the address written out.
import { isIpv6Literal } from '../common/address.js';
import type { AddressRef, EnsemblePlan, ServerEntry } from '../plan/types.js';
import type { Addressing, HostAddressing } from './types.js';

export function addressingFor(
  ensemble: EnsemblePlan,
  hostAddress: HostAddressing,
  overrides: Record<string, string>,
  literal?: (value: string) => string,
): Addressing {
  const hostNames: Record<string, string> = {};
  for (const s of ensemble.servers) hostNames[s.variable] = s.host.name;
  return { hostAddress, overrides, hostNames, ...(literal ? { literal } : {}) };
}

/** A value written out as it is: escaped for the file's interpolation (compose `$$`). */
export function literal(value: string, a: Addressing): string {
  return a.literal ? a.literal(value) : value;
}

/** The address of a host-addressed server as the chosen addressing writes it. */
export function hostAddress(variable: string, value: string, a: Addressing): string {
  switch (a.hostAddress) {
    case 'variable':
      return `\${${variable}}`;
    case 'required-variable': {
      const host = a.hostNames?.[variable];
      const what = host === undefined ? 'a host address' : `the address of host ${host}`;
      // The message ends at the first `}` for every interpolator, so it must not contain one.
      return `\${${variable}:?set ${variable} to ${what.replace(/[{}]/g, '')}}`;
    }
    case 'resolved':
      return literal(a.overrides[variable] ?? value, a);
  }
}

export function formatAddress(ref: AddressRef, a: Addressing): string {
  switch (ref.kind) {
    case 'host':
      return hostAddress(ref.variable, ref.value, a);
    case 'name':
    case 'ip':
      return literal(ref.value, a);
    case 'any':
      return '0.0.0.0';
  }
}

/**
 * The address as the server line's host part: IPv6 literals in brackets, the form
 * ConfigUtils.getHostAndPort (3.5+) splits at `]:`; the planner refuses them for 3.4.
 * A variable is bracketed when the address it stands for is IPv6.
 */
function peerAddress(ref: AddressRef, a: Addressing): string {
  const text = formatAddress(ref, a);
  if (ref.kind !== 'host') return text;
  const value = a.hostAddress === 'resolved' ? (a.overrides[ref.variable] ?? ref.value) : ref.value;
  return isIpv6Literal(value) ? `[${text}]` : text;
}

/** `addr:quorum:election[:observer]`: the part every image profile shares. */
export function peerSpec(entry: ServerEntry, a: Addressing): string {
  const role = entry.role === 'observer' ? ':observer' : '';
  return `${peerAddress(entry.address, a)}:${entry.quorumPort}:${entry.electionPort}${role}`;
}

/** `server.<id>=<addr>:<quorum>:<election>[:observer][;<clientPort>]` */
export function serverLine(entry: ServerEntry, a: Addressing): string {
  const client = entry.clientPort === undefined ? '' : `;${entry.clientPort}`;
  return `server.${entry.id}=${peerSpec(entry, a)}${client}`;
}

/** Server entries in id order, whatever order the plan holds them in. */
export function byId(entries: readonly ServerEntry[]): ServerEntry[] {
  return [...entries].sort((x, y) => x.id - y.id);
}
