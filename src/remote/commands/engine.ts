// Docker Engine API requests as data: method, path (query included) and JSON body, no I/O. The
// host driver sends them over its SSH connection (src/remote/engine-client.ts). The container
// create body is the one `docker run` of dockerRunLines() sends for the same spec: same image,
// command, environment, labels, mounts, ports, network, restart policy, user and memory, so a
// container made through the API and one made by the pushed run.sh are the same container.
import type { ContainerSpec } from '../../rollout/spec.js';

export interface EngineRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** unversioned (the daemon's own API version), query string included */
  path: string;
  body?: unknown;
}

/** The create body of POST /containers/create, as the docker CLI builds it for `docker run`. */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Hostname?: string;
  User?: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    Binds: string[];
    NetworkMode: string;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    Links?: string[];
    Memory?: number;
  };
  NetworkingConfig?: { EndpointsConfig: Record<string, { IPAMConfig?: { IPv4Address?: string; IPv6Address?: string }; Links?: string[] }> };
}

/**
 * What `docker run` reads from its `--env-file` for an entry written by envFileContent: a line
 * the CLI would read differently (skip as a comment, trim, refuse) cannot become a create body
 * that differs from what run.sh makes.
 */
export function envEntry(key: string, value: string): string {
  if (key === '' || /[\s=]/.test(key) || key.startsWith('#') || /[\r\n]/.test(value)) {
    throw new Error(`environment entry ${JSON.stringify(key)} cannot be passed through an env file unchanged`);
  }
  return `${key}=${value}`;
}

/** ContainerSpec → Engine API create body; the translation of dockerRunLines(spec, { envFile }). */
export function containerCreateBody(spec: ContainerSpec): ContainerCreateBody {
  if (spec.image.startsWith('-')) throw new Error(`internal error: image ${JSON.stringify(spec.image)} would be read as an option`);
  const net = spec.network;
  const networkMode = net.kind === 'host' ? 'host' : net.name;
  const portKey = (target: number) => `${target}/tcp`;
  const links = net.kind === 'named' ? (net.links ?? []) : [];
  const body: ContainerCreateBody = {
    Image: spec.image,
    ...(spec.command !== undefined ? { Cmd: [...spec.command] } : {}),
    ...(spec.hostname !== undefined ? { Hostname: spec.hostname } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    Env: spec.env.map(([k, v]) => envEntry(k, v)),
    Labels: { ...spec.labels },
    ...(spec.ports.length > 0 ? { ExposedPorts: Object.fromEntries(spec.ports.map((p) => [portKey(p.target), {}])) } : {}),
    HostConfig: {
      Binds: spec.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: networkMode,
      RestartPolicy: { Name: spec.restart, MaximumRetryCount: 0 },
      // The CLI always sends the map, empty or not (inspect then shows {} rather than null).
      PortBindings: portBindings(spec),
      ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes } : {}),
    },
  };
  if (net.kind === 'named') {
    // As the CLI does: on a user-defined network, links and a fixed address belong to its endpoint.
    const ip = net.ip === undefined ? undefined : net.ip.includes(':') ? { IPv6Address: net.ip } : { IPv4Address: net.ip };
    body.NetworkingConfig = {
      EndpointsConfig: { [net.name]: { ...(ip ? { IPAMConfig: ip } : {}), ...(links.length > 0 ? { Links: [...links] } : {}) } },
    };
  }
  return body;
}

function portBindings(spec: ContainerSpec): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) (out[`${p.target}/tcp`] ??= []).push({ HostIp: p.address ?? '', HostPort: String(p.published) });
  return out;
}

const name = (n: string) => encodeURIComponent(n);

export function createContainerRequest(spec: ContainerSpec): EngineRequest {
  return { method: 'POST', path: `/containers/create?name=${name(spec.name)}`, body: containerCreateBody(spec) };
}

export function startContainerRequest(container: string): EngineRequest {
  return { method: 'POST', path: `/containers/${name(container)}/start` };
}

/** `docker restart`: a membership change's leaving leader hands leadership over. */
export function restartContainerRequest(container: string): EngineRequest {
  return { method: 'POST', path: `/containers/${name(container)}/restart` };
}

/** `docker rm -f -v`: the container and its anonymous volumes. */
export function removeContainerRequest(container: string): EngineRequest {
  return { method: 'DELETE', path: `/containers/${name(container)}?force=1&v=1` };
}

export function inspectContainerRequest(container: string): EngineRequest {
  return { method: 'GET', path: `/containers/${name(container)}/json` };
}

/** Every container (running or not) carrying label key=value. */
export function listByLabelRequest(key: string, value: string): EngineRequest {
  return { method: 'GET', path: `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`] }))}` };
}

/** `docker ps --quiet --filter status=running --filter label=…` for every label given (key=value). */
export function listRunningByLabelsRequest(labels: readonly string[]): EngineRequest {
  return { method: 'GET', path: `/containers/json?filters=${encodeURIComponent(JSON.stringify({ status: ['running'], label: labels }))}` };
}

/** stdout and stderr, multiplexed (the containers run without a TTY). */
export function logsTailRequest(container: string, lines: number): EngineRequest {
  return { method: 'GET', path: `/containers/${name(container)}/logs?stdout=1&stderr=1&tail=${lines}` };
}

export function imageInspectRequest(image: string): EngineRequest {
  return { method: 'GET', path: `/images/${image.split('/').map(encodeURIComponent).join('/')}/json` };
}

export function versionRequest(): EngineRequest {
  return { method: 'GET', path: '/version' };
}

/** SystemTime (the host's clock, nanoseconds), ID, ... */
export function infoRequest(): EngineRequest {
  return { method: 'GET', path: '/info' };
}

/** `docker node inspect` of every node (on a manager): `[{ ID, Spec, Description, Status }]`. */
export function listNodesRequest(): EngineRequest {
  return { method: 'GET', path: '/nodes' };
}

/** `docker node inspect` of one node (on a manager): its `Version.Index` and `Spec` are what an update needs. */
export function inspectNodeRequest(id: string): EngineRequest {
  return { method: 'GET', path: `/nodes/${name(id)}` };
}

/** `docker node update`: the whole spec, at the version it was read at (the manager refuses a stale one). */
export function updateNodeRequest(id: string, version: number, spec: object): EngineRequest {
  return { method: 'POST', path: `/nodes/${name(id)}/update?version=${version}`, body: spec };
}

/** `docker service inspect` of the services carrying label key=value (on a manager). */
export function listServicesRequest(key: string, value: string): EngineRequest {
  return { method: 'GET', path: `/services?filters=${encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`] }))}` };
}

/** The tasks carrying label key=value that should be running, as `docker stack ps --filter desired-state=running` lists them. */
export function listRunningTasksRequest(key: string, value: string): EngineRequest {
  return { method: 'GET', path: `/tasks?filters=${encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`], 'desired-state': ['running'] }))}` };
}

/** Swarm secrets (on a manager) carrying label key=value: `[{ ID, Spec: { Name, Labels } }]`. */
export function listSecretsRequest(key: string, value: string): EngineRequest {
  return { method: 'GET', path: `/secrets?filters=${encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`] }))}` };
}

/**
 * `docker secret create`: the value travels base64 in the request body (over the SSH connection),
 * never on a command line or in a file on the manager.
 */
export function createSecretRequest(secretName: string, labels: Record<string, string>, data: Buffer): EngineRequest {
  return { method: 'POST', path: '/secrets/create', body: { Name: secretName, Labels: { ...labels }, Data: data.toString('base64') } };
}

/** `docker secret rm`; refused (400) while a service still uses the secret. */
export function removeSecretRequest(id: string): EngineRequest {
  return { method: 'DELETE', path: `/secrets/${name(id)}` };
}
