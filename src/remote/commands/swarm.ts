// Swarm-mode command builders (run on the manager unless noted): argv arrays, no I/O.
// Values reach scripts as positional parameters, never as script text.

/** `{"LocalNodeState":"active","ControlAvailable":true,...}` of the engine the command runs on. */
export function swarmInfo(): string[] {
  return ['docker', 'info', '--format', '{{json .Swarm}}'];
}

/** JSON array of every node of the Swarm (`docker node inspect` of all `node ls` ids). */
export function inspectNodes(): string[] {
  return ['sh', '-c', 'ids=$(docker node ls -q) || exit 1; exec docker node inspect $ids'];
}

/** Adds and removes node labels in one update. */
export function updateNodeLabels(node: string, add: Readonly<Record<string, string>>, remove: readonly string[]): string[] {
  return [
    'docker',
    'node',
    'update',
    ...Object.entries(add).flatMap(([k, v]) => ['--label-add', `${k}=${v}`]),
    ...remove.flatMap((k) => ['--label-rm', k]),
    node,
  ];
}

/**
 * `docker stack deploy` without waiting for convergence (zkplan waits itself, per service) and
 * without asking a registry for digests: nodes run the image they have. CLIs from 26 on wait
 * unless told `--detach=true`; older ones do not know the flag and never wait. `detach`, when
 * known (stackDeployDetaches, asked once), spares the CLI start that asks it at every deploy.
 */
export function deployStack(file: string, stack: string, prune: boolean, detach?: boolean): string[] {
  if (detach !== undefined) {
    return ['docker', 'stack', 'deploy', ...(detach ? ['--detach=true'] : []), '--resolve-image', 'never', ...(prune ? ['--prune'] : []), '--compose-file', file, stack];
  }
  const script = [
    'detach=',
    'if docker stack deploy --help 2>/dev/null | grep -q -- --detach; then detach=--detach=true; fi',
    `exec docker stack deploy $detach --resolve-image never${prune ? ' --prune' : ''} --compose-file "$1" "$2"`,
  ].join('\n');
  return ['sh', '-c', script, 'zkplan-stack-deploy', file, stack];
}

/** Exits 0 when this docker CLI's `stack deploy` knows `--detach` (and so waits without it). */
export function stackDeployDetaches(): string[] {
  return ['sh', '-c', 'docker stack deploy --help 2>/dev/null | grep -q -- --detach'];
}

/** JSON array of the stack's services (`[]` when there are none). */
export function inspectStackServices(stack: string): string[] {
  const script = 'ids=$(docker service ls -q --filter "label=com.docker.stack.namespace=$1") || exit 1; if [ -z "$ids" ]; then echo "[]"; else exec docker service inspect $ids; fi';
  return ['sh', '-c', script, 'zkplan-stack-services', stack];
}

/** One JSON object per task of the stack that should be running (nothing when the stack has none). */
export function stackTasks(stack: string): string[] {
  const script =
    'out=$(docker stack ps --no-trunc --filter desired-state=running --format "{{json .}}" "$1" 2>&1); rc=$?; ' +
    'if [ $rc -ne 0 ]; then case "$out" in *"nothing found in stack"*) exit 0;; esac; printf "%s\\n" "$out" >&2; exit $rc; fi; printf "%s\\n" "$out"';
  return ['sh', '-c', script, 'zkplan-stack-ps', stack];
}

export function scaleService(service: string, replicas: number): string[] {
  return ['docker', 'service', 'scale', '--detach', `${service}=${replicas}`];
}

/** Removes one service of a stack (destroy, server by server). */
export function removeService(service: string): string[] {
  return ['docker', 'service', 'rm', service];
}

/** Where the service's tasks ran and why they ended, newest first (`node state error`). */
export function serviceTasks(service: string): string[] {
  return ['docker', 'service', 'ps', '--no-trunc', '--format', '{{.Node}} {{.CurrentState}} {{.Error}}', service];
}

/** The service's last log lines, gathered by the manager from the nodes. */
export function serviceLogsTail(service: string, lines: number): string[] {
  return ['docker', 'service', 'logs', '--tail', String(lines), service];
}

export function removeStack(stack: string): string[] {
  return ['docker', 'stack', 'rm', stack];
}

/** On a node: ids of the stack's containers, running or not. */
export function stackContainers(stack: string): string[] {
  return ['docker', 'ps', '--all', '--quiet', '--filter', `label=com.docker.stack.namespace=${stack}`];
}

/** On a node: ids of a service's containers, running or not. */
export function serviceContainers(service: string): string[] {
  return ['docker', 'ps', '--all', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`];
}

/** On a node: ids of running containers of a service (that carry the label, when given). */
export function runningServiceContainers(service: string, label?: { key: string; value: string }): string[] {
  return [
    'docker',
    'ps',
    '--quiet',
    '--filter',
    'status=running',
    '--filter',
    `label=com.docker.swarm.service.name=${service}`,
    ...(label ? ['--filter', `label=${label.key}=${label.value}`] : []),
  ];
}

/** On a node: the names among these volumes that exist. */
export function existingVolumes(names: readonly string[]): string[] {
  return ['sh', '-c', 'for v; do docker volume inspect --format "{{.Name}}" "$v" 2>/dev/null; done; true', 'zkplan-volumes', ...names];
}
