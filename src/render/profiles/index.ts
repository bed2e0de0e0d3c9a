import type { Profile } from '../../inventory/types.js';
import type { EnsemblePlan, ServerPlan } from '../../plan/types.js';
import { literal } from '../server-line.js';
import type { Addressing } from '../types.js';
import { aliyun } from './aliyun.js';
import { bitnami } from './bitnami.js';
import { official } from './official.js';
import type { EnvPair, ImageProfile } from './types.js';

export type { EnvPair, ImageProfile, Mount, StateDir } from './types.js';
export { aliyunConfigLines } from './aliyun.js';
export { dataMounts, stateDirs } from './state.js';

const PROFILES: Readonly<Record<Profile, ImageProfile>> = { aliyun, official, bitnami };

export function imageProfile(name: Profile): ImageProfile {
  return PROFILES[name];
}

/** What a server's container gets: its image's variables, then the inventory's env. */
export function containerEnvironment(server: ServerPlan, ensemble: EnsemblePlan, addressing: Addressing): EnvPair[] {
  const own = imageProfile(ensemble.profile).environment(server, ensemble, addressing);
  return [...own, ...ensemble.settings.env.map(([k, v]): EnvPair => [k, literal(v, addressing)])];
}
