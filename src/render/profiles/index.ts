import type { Profile } from '../../inventory/types.js';
import { aliyun } from './aliyun.js';
import { bitnami } from './bitnami.js';
import { official } from './official.js';
import type { ImageProfile } from './types.js';

export type { EnvPair, ImageProfile, Mount, StateDir } from './types.js';

const PROFILES: Readonly<Record<Profile, ImageProfile>> = { aliyun, official, bitnami };

export function imageProfile(name: Profile): ImageProfile {
  return PROFILES[name];
}
