// OpenSSH pattern lists (ssh_config `Host`, known_hosts host fields): `*` and `?` wildcards,
// `!` negation, compared case-insensitively like OpenSSH's match_hostname().

function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

export function matchesPattern(pattern: string, text: string): boolean {
  return patternToRegExp(pattern).test(text);
}

/**
 * True when some candidate matches a positive pattern and no candidate matches a negated one.
 * A negated match vetoes the whole list, as in OpenSSH, so `Host * !10.0.0.5` excludes a host
 * whose address is 10.0.0.5 even when it is also known by a name that `*` matches.
 */
export function matchesPatternList(patterns: readonly string[], candidates: readonly string[]): boolean {
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const hit = candidates.some((c) => matchesPattern(pattern, c));
    if (hit && negated) return false;
    if (hit) positive = true;
  }
  return positive;
}
