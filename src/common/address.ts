// How an address is written next to a port: IPv6 literals in brackets, so the port stays
// unambiguous (ZooKeeper 3.5+ server lines, connect strings, Docker port mappings, dial errors).
import ipaddr from 'ipaddr.js';

export function isIpv6Literal(address: string): boolean {
  // A host name or an IPv4 address never contains a colon.
  return address.includes(':');
}

/** `[2001:db8::1]` for an IPv6 literal, anything else as it is. */
export function bracketed(address: string): string {
  return isIpv6Literal(address) ? `[${address}]` : address;
}

/** `host:port`, with IPv6 literals bracketed. */
export function endpoint(address: string, port: number): string {
  return `${bracketed(address)}:${port}`;
}

/** 0.0.0.0 or :: (any spelling): a bind address meaning "every interface", never one to connect to. */
export function isUnspecifiedAddress(address: string): boolean {
  const valid = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  return valid && ipaddr.parse(address).range() === 'unspecified';
}
