// Host probes for preflight: argv arrays, values passed as positional parameters.

/**
 * Listening TCP sockets: `ss -ltnH` lines, or where `ss` is missing or too old for -H (BusyBox,
 * minimal images) the kernel's /proc/net/tcp and /proc/net/tcp6 tables (hex ports, state 0A).
 * With neither it exits 127: a probe that looked at nothing must not pass as "no port busy".
 */
export function listeningPorts(): string[] {
  const script = [
    'if command -v ss >/dev/null 2>&1 && ss -ltnH 2>/dev/null; then exit 0; fi',
    'if [ -r /proc/net/tcp ]; then cat /proc/net/tcp || exit; [ ! -r /proc/net/tcp6 ] || exec cat /proc/net/tcp6; exit 0; fi',
    'echo "neither ss -ltnH nor /proc/net/tcp is available" >&2; exit 127',
  ].join('\n');
  return ['sh', '-c', script];
}

/** Exit 0 when the directory exists and is writable, or its nearest existing parent is. */
export function directoryCreatable(dir: string): string[] {
  return ['sh', '-c', 'd=$1; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; [ -d "$d" ] && [ -w "$d" ]', 'zkplan-dir', dir];
}

/**
 * Creates the directories. With an owner (an image that runs as a fixed non-root uid), each is
 * also handed to that uid unless it already has it: chown needs root, so a login that is not
 * root can still re-apply once the directories were prepared.
 */
export function makeDirectories(dirs: readonly string[], ownerUid?: number): string[] {
  if (ownerUid === undefined) return ['mkdir', '-p', '--', ...dirs];
  const script = 'u=$1; shift; mkdir -p -- "$@" || exit; for d in "$@"; do [ "$(stat -c %u -- "$d")" = "$u" ] || chown -- "$u" "$d" || exit; done';
  return ['sh', '-c', script, 'zkplan-mkdir', String(ownerUid), ...dirs];
}

/** Seconds since the epoch with nanoseconds, for clock skew. */
export function clock(): string[] {
  return ['date', '+%s.%N'];
}

/** Exit 0 when address:port accepts a TCP connection within the timeout. */
export function tcpReachable(address: string, port: number, timeoutSeconds = 2): string[] {
  const script = 'if command -v nc >/dev/null; then exec nc -z -w "$3" "$1" "$2"; fi; exec timeout "$3" bash -c \'exec 3<>"/dev/tcp/$1/$2"\' bash "$1" "$2"';
  return ['sh', '-c', script, 'zkplan-tcp', address, String(port), String(timeoutSeconds)];
}

export function removePaths(paths: readonly string[]): string[] {
  return ['rm', '-rf', '--', ...paths];
}

/** Renames each path that exists to `<path><suffix>` and prints the new name; a missing path is skipped. */
export function movePathsAside(paths: readonly string[], suffix: string): string[] {
  return ['sh', '-c', 's=$1; shift; for d in "$@"; do if [ -e "$d" ]; then mv -- "$d" "$d$s" && printf "%s\\n" "$d$s" || exit 1; fi; done', 'zkplan-aside', suffix, ...paths];
}

/** Removes what movePathsAside left in each directory (`*.removed-*-server*`, `*.stale-*-server*`): destroy --purge-data. */
export function removeAsideDirectories(parents: readonly string[]): string[] {
  return ['sh', '-c', 'for p in "$@"; do for d in "$p"/*.removed-*-server* "$p"/*.stale-*-server*; do if [ -e "$d" ]; then rm -rf -- "$d" || exit 1; fi; done; done', 'zkplan-purge-aside', ...parents];
}

/** Removes each directory that is empty; a directory still holding something is left alone. */
export function removeEmptyDirectories(dirs: readonly string[]): string[] {
  return ['sh', '-c', 'for d in "$@"; do rmdir -- "$d" 2>/dev/null || true; done', 'zkplan-rmdir', ...dirs];
}

/** /proc/meminfo, whose MemTotal line the heap check reads (src/rollout/host-memory.ts). */
export function memoryInfo(): string[] {
  return ['cat', '/proc/meminfo'];
}

/**
 * After key material and secrets were pushed (files 0600): their directories made root-only
 * (0700), and each server's directory and files handed to the uid the image runs ZooKeeper as,
 * which reads them through the read-only mount.
 */
export function privateSecrets(root: string, serverDirs: readonly string[], ownerUid?: number): string[] {
  const script = 'u=$1; r=$2; shift 2; chmod 700 -- "$r" "$@" || exit; [ -z "$u" ] || chown -R -- "$u" "$@"';
  return ['sh', '-c', script, 'zkplan-secrets', ownerUid === undefined ? '' : String(ownerUid), root, ...serverDirs];
}
