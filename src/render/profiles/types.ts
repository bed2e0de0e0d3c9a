import type { EnsemblePlan, ServerPlan } from '../../plan/types.js';
import type { Addressing } from '../types.js';

export type EnvPair = [string, string];

/** A directory the image keeps state in; `name` names its host subdirectory and Swarm volume. */
export interface StateDir {
  name: string;
  target: string;
}

/** A bind mount from the host. */
export interface Mount {
  source: string;
  target: string;
}

/** How one image family receives a ServerConfig (its environment contract). */
export interface ImageProfile {
  name: 'aliyun' | 'official' | 'bitnami';
  /** where the image keeps myid and snapshots (and transaction logs, unless stateDirs says otherwise) */
  dataMountTarget: string;
  /** every directory that must outlive the container, the data directory first */
  stateDirs: readonly StateDir[];
  /** the non-root uid the image runs ZooKeeper as without dropping privileges itself: host data directories are handed to it */
  runAsUid?: number;
  /** bind mounts of a server's host data directory */
  dataMounts(dataDir: string): Mount[];
  /** ordered: the order is part of the rendered bytes */
  environment(server: ServerPlan, ensemble: EnsemblePlan, addressing: Addressing): EnvPair[];
}

/** One version comparison for the whole project: the planner's. */
export { atLeast as versionAtLeast } from '../../plan/version.js';

/**
 * One state directory: the server's data directory itself. Several: one subdirectory each,
 * so that none is an anonymous volume lost when the container is re-created.
 */
export function mountsOf(stateDirs: readonly StateDir[], dataDir: string): Mount[] {
  const root = dataDir.replace(/\/+$/, '');
  if (stateDirs.length === 1) return [{ source: dataDir, target: stateDirs[0]!.target }];
  return stateDirs.map((d) => ({ source: `${root}/${d.name}`, target: d.target }));
}
