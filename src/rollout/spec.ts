// The one description of what runs for a server: built by the pure core from the plan, and the
// only input of everything that makes or describes a container (docker run argv, Engine API
// request, the pushed run.sh record, compose/stack/run-script renders) and of the config hash.
// A flag that is not in the spec cannot reach a host; a change to the spec changes the hash.
import { createHash } from 'node:crypto';
import type { EnvPair } from '../render/profiles/types.js';

export type SpecMount =
  /**
   * a host directory (host target, run scripts); `owner`: the uid it is handed to before the run,
   * for an image that runs as a fixed non-root user (a fresh named volume needs nothing: Docker
   * copies the image's ownership of the target into it)
   */
  | { kind: 'bind'; source: string; target: string; readOnly?: boolean; owner?: number }
  /** a named volume (local engine, Swarm) */
  | { kind: 'volume'; source: string; target: string; readOnly?: boolean };

export type SpecNetwork =
  | { kind: 'host' }
  /** a user-defined bridge (single host) or an attachable overlay (Swarm) */
  | { kind: 'named'; name: string; ip?: string; links?: string[]; dnsrr?: boolean };

export interface SpecPort {
  /** host address to bind; absent: every address */
  address?: string;
  published: number;
  target: number;
}

/** Swarm: a Docker secret (made beforehand, external to the stack) mounted as a file of the task's container. */
export interface SpecSecret {
  /** the secret's name */
  name: string;
  /** absolute path of the file in the container */
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface ContainerSpec {
  name: string;
  hostname?: string;
  image: string;
  /** argv after the image; absent: the image's own command */
  command?: string[];
  /** ordered: the order is part of what is hashed and rendered */
  env: EnvPair[];
  /** zkplan's labels except the config hash itself (see withHashLabel) */
  labels: Record<string, string>;
  mounts: SpecMount[];
  ports: SpecPort[];
  network: SpecNetwork;
  restart: 'always' | 'unless-stopped' | 'on-failure' | 'no';
  user?: string;
  /** container memory limit in bytes (production settings) */
  memoryBytes?: number;
  /** Swarm: the node the service is pinned to, `node.labels.x == n` */
  placement?: string;
  /** Swarm: Docker secrets mounted as files (a secured ensemble's key material and JAAS file) */
  secrets?: SpecSecret[];
}

export const LABEL_ENSEMBLE = 'io.zkplan.ensemble';
export const LABEL_SERVER = 'io.zkplan.server-id';
export const LABEL_HASH = 'io.zkplan.config-hash';
/** the ports the container listens on (host networking), the client port first, so preflight knows which busy ports are its own */
export const LABEL_PORTS = 'io.zkplan.ports';
/** a secured server: the fingerprint of its key material and secrets (an HMAC, src/security/material.ts) */
export const LABEL_SECURITY = 'io.zkplan.security';
/** a secured server: its step towards (or back from) its security, `<step>:<security>` (src/plan/security-phases.ts) */
export const LABEL_SECURITY_PHASE = 'io.zkplan.security-phase';

/** The config hash: of the spec itself, so anything that changes what runs changes it. */
export function configHash(spec: ContainerSpec): string {
  const { [LABEL_HASH]: _own, ...labels } = spec.labels;
  return createHash('sha256').update(canonicalJson({ ...spec, labels })).digest('hex').slice(0, 16);
}

/** The spec as it is run: with its config-hash label. */
export function withHashLabel(spec: ContainerSpec): ContainerSpec {
  return { ...spec, labels: { ...spec.labels, [LABEL_HASH]: configHash(spec) } };
}

/** JSON with object keys sorted, so the hash does not depend on how a spec was assembled. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
