// Docker command builders: argv arrays, no I/O. The executor runs them; src/common/shell.ts quotes them.
import { portMapping } from '../../render/text.js';
import type { ContainerSpec } from '../../rollout/spec.js';
import { makeDirectories } from './host.js';

export function dockerServerVersion(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}

/** Exit 0 with the image id when present locally. */
export function imageId(image: string): string[] {
  return ['docker', 'image', 'inspect', '--format', '{{.Id}}', image];
}

export function pullImage(image: string): string[] {
  return ['docker', 'pull', '--quiet', image];
}

/** JSON array of the named containers that exist (missing names are skipped, exit code 1). */
export function inspectContainers(names: readonly string[]): string[] {
  return ['docker', 'container', 'inspect', ...names];
}

export function removeContainer(name: string): string[] {
  return ['sh', '-c', 'docker rm -f -v -- "$1" >/dev/null 2>&1 || true', 'zkplan-rm', name];
}

export interface RunOptions {
  /**
   * Read the environment from this file on the engine's host (`--env-file`) instead of argv:
   * values stay out of `ps` and the shell history. Written by envFileContent.
   */
  envFile?: string;
}

/**
 * The one `docker run` of a container spec, as groups of words: one option with its value per
 * group, the image (and command) last. Scripts print one group per line; dockerRun flattens.
 * Swarm-only fields (placement, dnsrr) have no `docker run` form and are not read here.
 */
export function dockerRunLines(spec: ContainerSpec, opts: RunOptions = {}): string[][] {
  // argv reaches docker as words, but docker would still read an image `-x` as an option.
  if (spec.image.startsWith('-')) throw new Error(`internal error: image ${JSON.stringify(spec.image)} would be read as an option`);
  const net = spec.network;
  const mode = (m: { readOnly?: boolean }) => (m.readOnly ? ':ro' : '');
  return [
    ['docker', 'run', '--detach'],
    ['--name', spec.name],
    ...(spec.hostname !== undefined ? [['--hostname', spec.hostname]] : []),
    ['--network', net.kind === 'host' ? 'host' : net.name],
    ...(net.kind === 'named' && net.ip !== undefined ? [['--ip', net.ip]] : []),
    ...(net.kind === 'named' ? (net.links ?? []).map((l) => ['--link', l]) : []),
    ...spec.ports.map((p) => ['--publish', portMapping(p.address, p.published, p.target)]),
    ['--restart', spec.restart],
    ...(spec.user !== undefined ? [['--user', spec.user]] : []),
    ...(spec.memoryBytes !== undefined ? [['--memory', String(spec.memoryBytes)]] : []),
    ...spec.mounts.map((m) => ['--volume', `${m.source}:${m.target}${mode(m)}`]),
    ...(opts.envFile !== undefined ? [['--env-file', opts.envFile]] : spec.env.map(([k, v]) => ['--env', `${k}=${v}`])),
    ...labelLines(spec.labels),
    [spec.image, ...(spec.command ?? [])],
  ];
}

export function dockerRun(spec: ContainerSpec, opts: RunOptions = {}): string[] {
  return dockerRunLines(spec, opts).flat();
}

/**
 * (Re)creates a server's container: its host directories, the old container removed (with its
 * anonymous volumes), then the one `docker run`. What apply runs and what the pushed run.sh runs.
 */
export function recreateContainer(spec: ContainerSpec, opts: RunOptions = {}): string[][] {
  const binds = spec.mounts.flatMap((m) => (m.kind === 'bind' ? [m] : []));
  // One directory command per owner (none, or the image's fixed user).
  const owners = [...new Set(binds.map((m) => m.owner))];
  const prepare = owners.map((owner) => makeDirectories(binds.filter((m) => m.owner === owner).map((m) => m.source), owner));
  return [...prepare, removeContainer(spec.name), dockerRun(spec, opts)];
}

export function startContainer(name: string): string[] {
  return ['docker', 'start', name];
}

export function containerLogsTail(name: string, lines = 20): string[] {
  return ['docker', 'logs', '--tail', String(lines), name];
}

function labelLines(labels: Record<string, string>): string[][] {
  return Object.entries(labels).map(([k, v]) => ['--label', `${k}=${v}`]);
}

export function labelArgs(labels: Record<string, string>): string[] {
  return labelLines(labels).flat();
}
