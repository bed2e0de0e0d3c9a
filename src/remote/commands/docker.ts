// Docker command builders: argv arrays, no I/O. The executor runs them; src/common/shell.ts quotes them.
import type { DesiredContainer } from '../../rollout/desired.js';

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

export function runContainer(c: DesiredContainer): string[] {
  return [
    'docker',
    'run',
    '--detach',
    '--name',
    c.name,
    '--network',
    'host',
    '--restart',
    'always',
    ...(c.memoryBytes !== undefined ? ['--memory', String(c.memoryBytes)] : []),
    ...c.mounts.flatMap((m) => ['--volume', `${m.source}:${m.target}`]),
    '--env-file',
    c.envFile,
    ...labelArgs(c.labels),
    c.image,
  ];
}

export function startContainer(name: string): string[] {
  return ['docker', 'start', name];
}

/** Names of the containers carrying an ensemble's label (destroy/status find strays with it). */
export function listEnsembleContainers(labelKey: string, ensemble: string): string[] {
  return ['docker', 'ps', '--all', '--filter', `label=${labelKey}=${ensemble}`, '--format', '{{.Names}}'];
}

export function containerLogsTail(name: string, lines = 20): string[] {
  return ['docker', 'logs', '--tail', String(lines), name];
}

export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}
