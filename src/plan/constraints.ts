// One placement, several dialects: classic Swarm / Aliyun (an environment entry) and Swarm mode.
import type { PlacementConstraint } from './types.js';

/** Classic Swarm / Aliyun: an environment entry the scheduler strips and obeys, `constraint:aliyun.node_index==1`. */
export function classicConstraint(c: PlacementConstraint): string {
  return c.kind === 'label' ? `constraint:${c.label}==${c.value}` : `constraint:node==${c.value}`;
}

/** Swarm-mode placement constraint, spaced as kompose parses it: `node.labels.aliyun.node_index == 1`. */
export function swarmConstraint(c: PlacementConstraint): string {
  return c.kind === 'label' ? `node.labels.${c.label} == ${c.value}` : `node.hostname == ${c.value}`;
}
