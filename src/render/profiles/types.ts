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

/** How one image family receives a ServerConfig and the ensemble's settings (its environment contract). */
export interface ImageProfile {
  name: 'aliyun' | 'official' | 'bitnami';
  /** where the image keeps myid and snapshots (and transaction logs, unless they have their own directory) */
  dataMountTarget: string;
  /**
   * Where the transaction logs go when they have their own directory; `always`: the image
   * keeps them apart even without data_log_dir (a VOLUME of its own that must be persisted).
   */
  dataLog: { target: string; always: boolean };
  /**
   * Variables that carry what zkplan decides (ids, servers, ports, directories, settings), which
   * the inventory's env may not override, whether or not this ensemble happens to set them.
   */
  reserved: RegExp;
  /** the non-root uid the image runs ZooKeeper as without dropping privileges itself: host data directories are handed to it */
  runAsUid?: number;
  /** ordered: the order is part of the rendered bytes. The image's own variables only: see containerEnvironment. */
  environment(server: ServerPlan, ensemble: EnsemblePlan, addressing: Addressing): EnvPair[];
}

/** One version comparison for the whole project: the planner's. */
export { atLeast as versionAtLeast } from '../../plan/version.js';

/** `-Xmx`/`-Xms` for a heap in MiB: the flags bitnami's ZOO_HEAP_SIZE writes, used where JVMFLAGS carries the heap. */
export function heapFlags(heapMiB: number): string {
  return `-Xmx${heapMiB}m -Xms${heapMiB}m`;
}
