// Host ports. Under host networking every server's ports are host ports, so ensembles that
// share a host need distinct port sets; published client ports (overlay, single-host
// networks) take host ports too. Ports the inventory fixes are kept (a collision is an
// error); the others are allocated: the defaults shifted by the smallest offset that fits.
import type { EnsembleSpec, Host, PortsSpec } from '../inventory/types.js';
import type { Report } from './placement.js';
import type { Ports } from './types.js';

export const DEFAULT_PORTS: Required<PortsSpec> = { client: 2181, quorum: 2888, election: 3888, admin: 8080, metrics: 7000, secure_client: 2281 };
type Field = keyof PortsSpec;
const MAX_OFFSET = 1000;

export interface PortRequest {
  spec: EnsembleSpec;
  hosts: Host[]; // distinct hosts the ensemble runs on
  members: number;
  adminEnabled: boolean;
  metricsEnabled: boolean;
  /** a TLS client port beside the plain one (security.client_tls: both) */
  secureClientEnabled?: boolean;
}

export interface PortAssignment {
  ports: Ports;
  /** single-host networks: the first of the consecutive host ports the client ports are published on */
  publishedBase?: number;
}

export function allocatePorts(requests: readonly PortRequest[], report: Report): Map<number, PortAssignment> {
  const used = new Map<string, Map<number, string>>(); // host → port → owner
  const owner = (host: Host, port: number) => used.get(host.name)?.get(port);
  const reserve = (host: Host, port: number, what: string) => {
    if (!used.has(host.name)) used.set(host.name, new Map());
    used.get(host.name)!.set(port, what);
  };
  const result = new Map<number, PortAssignment>();

  const broken = new Set<number>();
  // Pass 1: ports fixed by the inventory, in inventory order, so a collision names both.
  for (const r of requests) {
    const fields = hostFields(r).filter((f) => r.spec.ports[f] !== undefined);
    const own = new Map<number, Field>();
    for (const f of ensembleFields(r)) {
      const port = r.spec.ports[f];
      if (port === undefined) continue;
      const twin = own.get(port);
      if (twin) {
        report(['ensembles', r.spec.index, 'ports', f], `port ${port} is used twice in ensemble "${r.spec.name}" (${twin} and ${f})`);
        broken.add(r.spec.index);
      }
      own.set(port, f);
    }
    if (broken.has(r.spec.index)) continue;
    for (const f of fields) {
      const port = r.spec.ports[f]!;
      for (const host of r.hosts) {
        const other = owner(host, port);
        if (other) {
          report(['ensembles', r.spec.index, 'ports', f], `${f} port ${port} of ensemble "${r.spec.name}" collides on host "${host.name}" with ${other}`);
          broken.add(r.spec.index);
          break;
        }
      }
      for (const host of r.hosts) reserve(host, port, `the ${f} port of ensemble "${r.spec.name}"`);
    }
  }

  // Pass 2: allocate what the inventory left open.
  for (const r of requests) {
    if (broken.has(r.spec.index)) continue;
    const assignment = isSingleHost(r) ? allocatePublished(r, owner) : allocateShifted(r, owner);
    if (!assignment) {
      report(['ensembles', r.spec.index, 'ports'], `no free ports for ensemble "${r.spec.name}" within ${MAX_OFFSET} of the defaults`);
      continue;
    }
    const hostPorts = isSingleHost(r)
      ? Array.from({ length: r.members }, (_, i) => assignment.publishedBase! + i)
      : hostFields(r).filter((f) => r.spec.ports[f] === undefined).map((f) => portOf(assignment.ports, f));
    for (const h of r.hosts) for (const p of hostPorts) reserve(h, p, `a port of ensemble "${r.spec.name}"`);
    result.set(r.spec.index, assignment);
  }
  return result;
}

type Owner = (host: Host, port: number) => string | undefined;

/** Host/overlay networks: shift every open port by the smallest offset that is free everywhere. */
function allocateShifted(r: PortRequest, owner: Owner): PortAssignment | undefined {
  const fields = ensembleFields(r);
  const open = fields.filter((f) => r.spec.ports[f] === undefined);
  const fixed = new Set(fields.map((f) => r.spec.ports[f]).filter((p): p is number => p !== undefined));
  const onHost = new Set(hostFields(r));
  for (let k = 0; k <= MAX_OFFSET; k++) {
    const candidate = Object.fromEntries(fields.map((f) => [f, r.spec.ports[f] ?? DEFAULT_PORTS[f] + k])) as Record<Field, number>;
    const values = Object.values(candidate);
    if (new Set(values).size !== values.length) continue;
    if (open.some((f) => fixed.has(candidate[f]))) continue;
    const taken = open.filter((f) => onHost.has(f)).some((f) => r.hosts.some((h) => owner(h, candidate[f]) !== undefined));
    if (!taken) return { ports: toPorts(candidate, r) };
  }
  return undefined;
}

/** Single-host networks: container ports stay as given; the published client ports shift. */
function allocatePublished(r: PortRequest, owner: Owner): PortAssignment | undefined {
  const candidate = Object.fromEntries(ensembleFields(r).map((f) => [f, r.spec.ports[f] ?? DEFAULT_PORTS[f]])) as Record<Field, number>;
  for (let k = 0; k <= MAX_OFFSET; k++) {
    const base = candidate.client + k;
    const block = Array.from({ length: r.members }, (_, i) => base + i);
    if (block.every((p) => p <= 65535 && r.hosts.every((h) => owner(h, p) === undefined))) {
      return { ports: toPorts(candidate, r), publishedBase: base };
    }
  }
  return undefined;
}

function toPorts(c: Record<Field, number>, r: PortRequest): Ports {
  return {
    client: c.client,
    quorum: c.quorum,
    election: c.election,
    ...(r.adminEnabled ? { admin: c.admin } : {}),
    ...(r.metricsEnabled ? { metrics: c.metrics } : {}),
    ...(r.secureClientEnabled ? { secureClient: c.secure_client } : {}),
  };
}

/** The allocated port of an inventory field (`secure_client` is `secureClient` in the plan). */
function portOf(ports: Ports, f: Field): number {
  return (f === 'secure_client' ? ports.secureClient : ports[f])!;
}

function isSingleHost(r: PortRequest): boolean {
  return r.spec.network === 'bridge' || r.spec.network === 'links' || r.spec.network === 'static-ip';
}

/** The ports one ensemble's servers listen on. */
function ensembleFields(r: PortRequest): Field[] {
  const fields: Field[] = ['client', 'quorum', 'election'];
  if (r.adminEnabled) fields.push('admin');
  if (r.metricsEnabled) fields.push('metrics');
  if (r.secureClientEnabled) fields.push('secure_client');
  return fields;
}

/** The fixed ports that occupy host ports under this ensemble's network mode. */
function hostFields(r: PortRequest): Field[] {
  if (r.spec.network === 'host') return ensembleFields(r);
  if (r.spec.network === 'overlay') return ['client'];
  return [];
}
