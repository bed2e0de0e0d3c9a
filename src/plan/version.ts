// Which ZooKeeper version an ensemble runs decides its config grammar (FACTS §5).
import type { EnsembleSpec, Profile } from '../inventory/types.js';

export interface ZkVersion {
  major: number;
  minor: number;
  patch?: number;
  text: string; // as given or derived, e.g. "3.4.8", "3.9"
  source: 'inventory' | 'image-tag' | 'profile-default';
}

const PROFILE_DEFAULT: Record<Profile, string> = { aliyun: '3.4.8', official: '3.9', bitnami: '3.9' };

export function resolveVersion(spec: EnsembleSpec): ZkVersion {
  if (spec.zookeeper_version) return parseVersion(spec.zookeeper_version, 'inventory');
  const fromTag = versionFromImage(spec.image);
  if (fromTag) return parseVersion(fromTag, 'image-tag');
  return parseVersion(PROFILE_DEFAULT[spec.profile], 'profile-default');
}

/** `repo/zookeeper:3.8.4-jre17` → "3.8.4"; tags that do not start with 3.x give nothing. */
export function versionFromImage(image: string): string | undefined {
  const lastSlash = image.lastIndexOf('/');
  const withoutDigest = image.split('@')[0]!;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= lastSlash) return undefined;
  const match = /^(3\.\d+)(\.\d+)?/.exec(withoutDigest.slice(colon + 1));
  return match ? match[0] : undefined;
}

function parseVersion(text: string, source: ZkVersion['source']): ZkVersion {
  const [major, minor, patch] = text.split('.').map(Number);
  return { major: major!, minor: minor!, ...(patch !== undefined ? { patch } : {}), text, source };
}

export function atLeast(v: ZkVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
