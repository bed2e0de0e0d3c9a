// One placement, several dialects: classic Swarm / Aliyun (an environment entry) and Swarm mode.
import type { PlacementConstraint } from './types.js';

/** Classic Swarm filter, as the Aliyun console reads it: `aliyun.node_index==1` (prefix `constraint:`). */
export function classicConstraint(c: PlacementConstraint): string {
  return c.kind === 'label' ? `${c.label}==${c.value}` : `node==${c.value}`;
}

/** Swarm-mode placement constraint, spaced as kompose parses it: `node.labels.aliyun.node_index == 1`. */
export function swarmConstraint(c: PlacementConstraint): string {
  return c.kind === 'label' ? `node.labels.${c.label} == ${c.value}` : `node.hostname == ${c.value}`;
}
