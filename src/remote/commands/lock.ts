// The per-ensemble deploy lock, as in Kamal: `mkdir` is atomic on every filesystem, so whoever
// creates <dir>/lock owns it, and a details file next to it says who that is. Builders only;
// values reach the script as positional parameters, never as script text.

export interface LockDetails {
  /** `user@hostname` of the machine running zkplan. */
  lockedBy: string;
  pid: number;
  since: string; // ISO 8601
  command: string;
}

/** Exit codes of the scripts below, so callers can tell "someone else holds it" from a failure. */
export const LOCK_EXIT = { held: 3, notHeld: 4 } as const;

const ACQUIRE = [
  'set -u',
  'mkdir -p -- "$1" || exit 1',
  'if mkdir -- "$1/lock" 2>/dev/null; then',
  '  printf "%s\\n" "$2" > "$1/lock/details" || { rm -rf -- "$1/lock"; exit 1; }',
  '  exit 0',
  'fi',
  `if [ -d "$1/lock" ]; then cat -- "$1/lock/details" 2>/dev/null; exit ${LOCK_EXIT.held}; fi`,
  // Not held, yet mkdir failed: run it again so its real error (permissions, ...) reaches stderr.
  'mkdir -- "$1/lock"',
  'exit 1',
].join('\n');

const STATUS = [
  `[ -d "$1/lock" ] || exit ${LOCK_EXIT.notHeld}`,
  // Between the winner's mkdir and its write the details file may not exist yet.
  'cat -- "$1/lock/details" 2>/dev/null || true',
].join('\n');

const RELEASE = 'rm -rf -- "$1/lock"';

// $(...) drops the trailing newline ACQUIRE wrote, so the comparison is with $2 as passed.
const RELEASE_OWN = '[ "$(cat -- "$1/lock/details" 2>/dev/null)" = "$2" ] && rm -rf -- "$1/lock"';

/** Exit 0: acquired. Exit LOCK_EXIT.held: someone else holds it; their details are on stdout. */
export function acquireLock(dir: string, details: LockDetails): string[] {
  return ['sh', '-c', ACQUIRE, 'zkplan-lock', dir, formatLockDetails(details)];
}

/** Exit 0: held, details on stdout. Exit LOCK_EXIT.notHeld: free. */
export function lockStatus(dir: string): string[] {
  return ['sh', '-c', STATUS, 'zkplan-lock', dir];
}

export function releaseLock(dir: string): string[] {
  return ['sh', '-c', RELEASE, 'zkplan-lock', dir];
}

/**
 * Removes the lock only while it still carries these details: after someone broke it with
 * --force-unlock and took it, the old holder's release must not free theirs.
 */
export function releaseOwnLock(dir: string, details: LockDetails): string[] {
  return ['sh', '-c', RELEASE_OWN, 'zkplan-lock', dir, formatLockDetails(details)];
}

/** Breaks any lock, then takes it: one command for --force-unlock. */
export function forceAcquireLock(dir: string, details: LockDetails): string[] {
  return ['sh', '-c', `${RELEASE}\n${ACQUIRE}`, 'zkplan-lock', dir, formatLockDetails(details)];
}

/** Where an ensemble's lock lives under zkplan's state directory on a host. */
export function ensembleLockDir(stateDir: string, ensemble: string): string {
  if (ensemble === '' || ensemble.includes('/') || ensemble === '.' || ensemble === '..') {
    throw new Error(`invalid ensemble name for a lock directory: '${ensemble}'`);
  }
  return `${stateDir.replace(/\/+$/, '')}/locks/${ensemble}`;
}

const FIELDS: [keyof LockDetails, string][] = [
  ['lockedBy', 'locked_by'],
  ['pid', 'pid'],
  ['since', 'since'],
  ['command', 'command'],
];

/** One `key: value` line per field; newlines inside values would forge extra fields. */
export function formatLockDetails(d: LockDetails): string {
  return FIELDS.map(([field, key]) => `${key}: ${String(d[field]).replace(/[\r\n]+/g, ' ')}`).join('\n');
}

export function parseLockDetails(text: string): Partial<LockDetails> {
  const out: Partial<LockDetails> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+): ?(.*)$/.exec(line);
    if (!m) continue;
    const field = FIELDS.find(([, key]) => key === m[1])?.[0];
    if (field === 'pid') out.pid = Number(m[2]);
    else if (field !== undefined) out[field] = m[2]!;
  }
  return out;
}
