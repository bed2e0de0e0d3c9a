// Docker command builders for networks, volumes and containers found by label (`zkplan up --local`, and the
// Swarm volume purge): argv arrays, no I/O. Everything zkplan creates carries labels, so `down` finds exactly that.
import { labelArgs } from './docker.js';

export interface NetworkSpec {
  name: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  labels: Record<string, string>;
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
}

/** JSON array with the network, or exit 1 when it does not exist. */
export function inspectNetwork(name: string): string[] {
  return ['docker', 'network', 'inspect', '--', name];
}

export function createNetwork(n: NetworkSpec): string[] {
  return [
    'docker',
    'network',
    'create',
    '--driver',
    'bridge',
    ...(n.subnet ? ['--subnet', n.subnet] : []),
    ...(n.gateway ? ['--gateway', n.gateway] : []),
    ...(n.ipRange ? ['--ip-range', n.ipRange] : []),
    ...labelArgs(n.labels),
    '--',
    n.name,
  ];
}

/** Names of the networks carrying every one of the labels. */
export function listNetworks(labels: Record<string, string>): string[] {
  return ['docker', 'network', 'ls', ...labelFilters(labels), '--format', '{{.Name}}'];
}

export function removeNetwork(name: string): string[] {
  return ['docker', 'network', 'rm', '--', name];
}

/** Creating an existing volume is a no-op, so this is safe to repeat. */
export function createVolume(name: string, labels: Record<string, string>): string[] {
  return ['docker', 'volume', 'create', ...labelArgs(labels), '--', name];
}

export function listVolumes(labels: Record<string, string>): string[] {
  return ['docker', 'volume', 'ls', ...labelFilters(labels), '--format', '{{.Name}}'];
}

export function removeVolumes(names: readonly string[]): string[] {
  return ['docker', 'volume', 'rm', '--', ...names];
}

/** Names of all containers, running or not, carrying every one of the labels. */
export function listContainers(labels: Record<string, string>): string[] {
  return ['docker', 'ps', '--all', ...labelFilters(labels), '--format', '{{.Names}}'];
}

/** Removes the container and its anonymous volumes (an image's VOLUMEs that zkplan does not name). */
export function forceRemoveContainers(names: readonly string[]): string[] {
  return ['docker', 'rm', '--force', '--volumes', '--', ...names];
}

/** Exits 1 when the volume does not exist (the JSON of the volume otherwise). */
export function inspectVolume(name: string): string[] {
  return ['docker', 'volume', 'inspect', '--', name];
}

/**
 * Docker cannot rename a volume: its content is copied, owners and modes kept, by a throwaway
 * container of the ensemble's own image (it has `cp`; nothing else is pulled), with no network.
 */
export function copyVolume(image: string, from: string, to: string): string[] {
  if (image.startsWith('-')) throw new Error(`internal error: image ${JSON.stringify(image)} would be read as an option`);
  return ['docker', 'run', '--rm', '--network', 'none', '--user', '0:0', '--entrypoint', 'cp', '--mount', `type=volume,source=${from},target=/from,readonly`, '--mount', `type=volume,source=${to},target=/to`, '--', image, '-a', '/from/.', '/to/'];
}

export function stopContainer(name: string): string[] {
  return ['docker', 'stop', '--', name];
}
