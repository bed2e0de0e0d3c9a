// Evaluates ~/.ssh/config for one host the way ssh(1) does: sections are read top to bottom and
// the first value obtained for a directive wins (IdentityFile accumulates). The `ssh-config`
// package only tokenizes; its own compute() runs `Match exec` commands and nslookup, which a
// pure lookup must not do.

import SSHConfig, { LineType, type Line } from 'ssh-config';
import { matchesPatternList } from './patterns.js';

/** Directive values by lower-case name; multi-word directives keep their words. */
export type SshConfigValues = ReadonlyMap<string, readonly string[]>;

export interface SshConfigQuery {
  /** Every name the host is known by (inventory name, address); `Host` patterns are tried against each. */
  candidates: readonly string[];
  /** For `Match user`: the user already decided by the caller, if any. */
  user?: string;
  localUser: string;
}

const ACCUMULATING = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward']);

type Directive = Extract<Line, { param: string }>;

function words(line: Directive): string[] {
  return typeof line.value === 'string' ? [line.value] : line.value.map((v) => v.val);
}

export function parseSshConfig(text: string): SSHConfig {
  return SSHConfig.parse(text);
}

export function lookupSshConfig(config: SSHConfig | string, query: SshConfigQuery): SshConfigValues {
  const parsed = typeof config === 'string' ? parseSshConfig(config) : config;
  const values = new Map<string, string[]>();

  const set = (line: Directive): void => {
    const key = line.param.toLowerCase();
    const existing = values.get(key);
    if (ACCUMULATING.has(key)) values.set(key, [...(existing ?? []), ...words(line)]);
    else if (existing === undefined) values.set(key, words(line));
  };

  const applies = (line: Directive): boolean => {
    const key = line.param.toLowerCase();
    if (key === 'host') return matchesPatternList(words(line), query.candidates);
    if (key === 'match') return matchApplies(line, query, values);
    return true;
  };

  for (const line of parsed) {
    if (line.type !== LineType.DIRECTIVE) continue;
    if ('config' in line && line.config) {
      if (!applies(line)) continue;
      for (const sub of line.config) if (sub.type === LineType.DIRECTIVE) set(sub);
    } else {
      set(line);
    }
  }
  return values;
}

function matchApplies(line: Directive, query: SshConfigQuery, sofar: Map<string, string[]>): boolean {
  const criteria = 'criteria' in line ? (line.criteria as Record<string, unknown>) : {};
  const entries = Object.entries(criteria);
  if (entries.length === 0) return false;
  return entries.every(([rawKey, rawValue]) => {
    const negated = rawKey.startsWith('!');
    const key = rawKey.slice(negated ? 1 : 0).toLowerCase();
    const patterns = patternsOf(rawValue);
    let hit: boolean;
    switch (key) {
      case 'all':
        hit = true;
        break;
      case 'host': {
        const hostName = sofar.get('hostname')?.[0];
        hit = matchesPatternList(patterns, hostName !== undefined ? [hostName] : query.candidates);
        break;
      }
      case 'originalhost':
        hit = matchesPatternList(patterns, query.candidates);
        break;
      case 'user':
        hit = matchesPatternList(patterns, [query.user ?? sofar.get('user')?.[0] ?? query.localUser]);
        break;
      case 'localuser':
        hit = matchesPatternList(patterns, [query.localUser]);
        break;
      default:
        // exec, canonical, final, tagged, localnetwork: never evaluated, so the section never applies.
        // Running `Match exec` commands from a config file is not something a deploy tool should do.
        return false;
    }
    return negated ? !hit : hit;
  });
}

function patternsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',');
  if (Array.isArray(value)) return value.flatMap((v: { val: string }) => v.val.split(','));
  return [];
}
