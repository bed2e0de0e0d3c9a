// zkplan destroy --target swarm: removes the stack and the node labels zkplan wrote for the
// ensemble; the servers' named volumes stay on their nodes unless purging.
import { OperationalError } from '../../common/problems.js';
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { Templates } from '../../render/types.js';
import { existingVolumes, removeStack, removeVolumes, stackContainers, updateNodeLabels } from '../../remote/commands/swarm.js';
import { removePaths } from '../../remote/commands/host.js';
import { runChecked } from '../../remote/session.js';
import { lockEnsemble } from '../../drivers/lock.js';
import type { Progress } from '../progress.js';
import type { Sessions } from '../../drivers/sessions.js';
import { managerSession, stackDir } from './apply.js';
import { markerLabel } from './nodes.js';
import { observeSwarm } from './observe.js';
import { desiredStack } from './stack.js';

export interface SwarmDestroyOptions {
  purgeData: boolean;
  forceUnlock: boolean;
  command: string;
  timeoutMs: number;
}

export interface SwarmDestroyReport {
  ensemble: string;
  stack: string;
  /** node: labels removed */
  labels: string[];
  /** host: volumes removed (purge only) */
  volumes: string[];
}

export async function destroySwarmEnsemble(inventory: Inventory, ensemble: EnsemblePlan, sessions: Sessions, templates: Templates, progress: Progress, opts: SwarmDestroyOptions): Promise<SwarmDestroyReport> {
  const manager = managerSession(inventory, sessions);
  const stack = desiredStack(ensemble, templates);
  const lock = await lockEnsemble(new Map([[manager.host.name, manager]]), ensemble.name, opts.command, opts.forceUnlock);
  try {
    const swarm = await observeSwarm(manager, inventory);
    if (!swarm.active || !swarm.isManager) throw new OperationalError(`${manager.host.name} is not a manager of an active Swarm${swarm.error ? `: ${swarm.error}` : ''}; nothing was removed`);
    await runChecked(manager, removeStack(stack.stack));
    progress.step(manager.host.name, 'remove', 'ok', `stack ${stack.stack}`);

    // `docker stack rm` returns before the nodes have stopped the containers; volumes
    // cannot be removed while a container still uses them.
    const deadline = Date.now() + opts.timeoutMs;
    await Promise.all(
      [...sessions.values()].map(async (node) => {
        for (;;) {
          const r = await runChecked(node, stackContainers(stack.stack));
          if (r.stdout.trim() === '') return;
          if (Date.now() > deadline) throw new OperationalError(`${node.host.name}: containers of stack ${stack.stack} still present after ${Math.round(opts.timeoutMs / 1000)} s`);
          await new Promise((res) => setTimeout(res, 250));
        }
      }),
    );

    const marker = markerLabel(ensemble.name);
    const labels: string[] = [];
    for (const node of swarm.nodes) {
      const pin = node.labels[marker];
      if (pin === undefined) continue;
      const remove = [marker, ...(node.labels[pin] !== undefined ? [pin] : [])];
      await runChecked(manager, updateNodeLabels(node.id, {}, remove));
      progress.step(manager.host.name, 'label', 'ok', `${node.hostname}: ${remove.map((k) => `-${k}`).join(' ')}`);
      labels.push(`${node.hostname}: ${remove.join(', ')}`);
    }
    await runChecked(manager, removePaths([stackDir(manager, ensemble.name)]));

    const volumes: string[] = [];
    if (opts.purgeData) {
      const names = stack.services.flatMap((s) => s.volumes);
      // A server may have run on any node (moves leave its old volume behind): purge on all.
      await Promise.all(
        [...sessions.values()].map(async (node) => {
          const present = (await runChecked(node, existingVolumes(names))).stdout.split('\n').filter((v) => v.trim() !== '');
          if (present.length === 0) return;
          await runChecked(node, removeVolumes(present));
          progress.step(node.host.name, 'purge', 'ok', present.join(' '));
          volumes.push(`${node.host.name}: ${present.join(', ')}`);
        }),
      );
    }
    return { ensemble: ensemble.name, stack: stack.stack, labels, volumes };
  } finally {
    await lock.release();
  }
}
