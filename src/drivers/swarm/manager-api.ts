// The manager's reads through its Engine API over the SSH connection already open: the same four
// results as observeCommands' batch (src/drivers/swarm/observe.ts reads either), with no login
// shell and no docker CLI started on the manager. The answers are the objects the CLI prints
// (`docker info`'s Swarm, `docker node inspect`, `docker service inspect`); tasks come back as
// the lines `docker stack ps --format '{{json .}}'` gives, the node by its ID.
import { engineMessage, type EngineClient } from '../../remote/engine-client.js';
import { imageInspectRequest, infoRequest, listNodesRequest, listRunningTasksRequest, listServicesRequest, type EngineRequest } from '../../remote/commands/engine.js';
import type { RunResult } from '../../remote/session.js';

/** The label `docker stack deploy` puts on a stack's services and tasks. */
export const STACK_NAMESPACE = 'com.docker.stack.namespace';

interface ServiceListed {
  ID: string;
  Spec: { Name: string };
}

export interface TaskListed {
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string };
}

/** `docker info`, `docker node inspect`, the stack's services and its running tasks, read at once. */
export async function readThroughApi(engine: EngineClient, stack: string): Promise<Map<string, RunResult>> {
  const [info, nodes, services, tasks] = await Promise.all([
    answer(engine, infoRequest()),
    answer(engine, listNodesRequest()),
    answer(engine, listServicesRequest(STACK_NAMESPACE, stack)),
    answer(engine, listRunningTasksRequest(STACK_NAMESPACE, stack)),
  ]);
  const swarm: RunResult = info.code === 0 ? { ...info, stdout: JSON.stringify((JSON.parse(info.stdout) as { Swarm?: unknown }).Swarm ?? {}) } : info;
  const taskLines: RunResult =
    tasks.code === 0 && services.code === 0 ? { ...tasks, stdout: stackPsLines(JSON.parse(tasks.stdout) as TaskListed[], JSON.parse(services.stdout) as ServiceListed[], Date.now()) } : tasks.code === 0 ? services : tasks;
  return new Map([
    ['swarm', swarm],
    ['nodes', nodes],
    ['services', services],
    ['tasks', taskLines],
  ]);
}

/**
 * `docker stack ps --no-trunc --format '{{json .}}'`'s fields zkplan reads, one line per task;
 * the current state as the CLI words it (`Running 5 minutes ago`), since status shows it.
 */
export function stackPsLines(tasks: readonly TaskListed[], services: readonly ServiceListed[], now: number): string {
  const names = new Map(services.map((s) => [s.ID, s.Spec.Name]));
  return tasks
    .map((t) => {
      const state = t.Status?.State ?? '';
      const since = t.Status?.Timestamp ? Date.parse(t.Status.Timestamp) : NaN;
      const current = state === '' ? '' : `${state[0]!.toUpperCase()}${state.slice(1)}${Number.isNaN(since) ? '' : ` ${humanDuration(now - since)} ago`}`;
      return JSON.stringify({ Name: `${names.get(t.ServiceID) ?? t.ServiceID}.${t.Slot ?? 1}`, Node: t.NodeID ?? '', CurrentState: current, DesiredState: t.DesiredState ?? '', Error: t.Status?.Err ?? '' });
    })
    .map((l) => `${l}\n`)
    .join('');
}

/** A duration as the docker CLI words it (go-units HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.round(seconds / 3600);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** Whether the engine has the image, as `docker image inspect --format {{.Id}}` answers (exit 0 with the ID). */
export async function imageThroughApi(engine: EngineClient, image: string): Promise<RunResult> {
  const r = await answer(engine, imageInspectRequest(image));
  return r.code === 0 ? { ...r, stdout: `${(JSON.parse(r.stdout) as { Id?: string }).Id ?? ''}\n` } : r;
}

/** An answer as a command result: exit 0 with the body, or 1 with the engine's message. */
async function answer(engine: EngineClient, req: EngineRequest): Promise<RunResult> {
  try {
    const r = await engine.send(req);
    if (r.status >= 200 && r.status < 300) return { code: 0, stdout: r.body.toString('utf8'), stderr: '' };
    return { code: 1, stdout: '', stderr: `${r.status} ${engineMessage(r.body)}` };
  } catch (err) {
    return { code: 1, stdout: '', stderr: (err as Error).message };
  }
}
