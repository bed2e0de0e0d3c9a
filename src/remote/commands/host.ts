// Host probes for preflight: argv arrays, values passed as positional parameters.

/** Listening TCP ports, one `address:port` per line (iproute2 `ss`, falling back to /proc/net/tcp*). */
export function listeningPorts(): string[] {
  return ['sh', '-c', 'ss -Hltn 2>/dev/null | awk \'{print $4}\' || cat /proc/net/tcp /proc/net/tcp6'];
}

/** Exit 0 when the directory exists and is writable, or its nearest existing parent is. */
export function directoryCreatable(dir: string): string[] {
  return ['sh', '-c', 'd=$1; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; [ -d "$d" ] && [ -w "$d" ]', 'zkplan-dir', dir];
}

export function makeDirectories(dirs: readonly string[]): string[] {
  return ['mkdir', '-p', '--', ...dirs];
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

/** Removes each directory that is empty; a directory still holding something is left alone. */
export function removeEmptyDirectories(dirs: readonly string[]): string[] {
  return ['sh', '-c', 'for d in "$@"; do rmdir -- "$d" 2>/dev/null || true; done', 'zkplan-rmdir', ...dirs];
}

/** /proc/meminfo, whose MemTotal line the heap check reads (src/rollout/host-memory.ts). */
export function memoryInfo(): string[] {
  return ['cat', '/proc/meminfo'];
}
