// What bench/lab-bench.ts and bench/swarm-bench.ts share: how zkplan is run and timed, statistics,
// the 1-minute load, the log line.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..');
export const cliMode = process.env.ZKPLAN_BENCH_CLI ?? 'dist';

/** argv that runs `zkplan <args>`; `ZKPLAN_BENCH_CLI=dist` runs the built CLI (npm run build). */
export function zkplanArgv(args: readonly string[]): string[] {
  if (cliMode === 'dist') return [process.execPath, path.join(ROOT, 'bin', 'zkplan.js'), ...args];
  // src/cli/main.ts only exports main(); bench/zkplan-src.ts calls it, like bin/zkplan.js does for dist.
  return [process.execPath, '--import', 'tsx', path.join(HERE, 'zkplan-src.ts'), ...args];
}

export interface Timed {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run zkplan with ZKPLAN_TRACE=1; ms is the wall time from spawn to process exit. */
export function zkplan(args: readonly string[], timeoutMs = 180_000): Promise<Timed> {
  const [cmd, ...rest] = zkplanArgv(args);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let exitMs = 0;
    // ZKPLAN_TRACE: zkplan prints its phase durations to stderr; the bench reports their medians.
    const child = spawn(cmd!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, env: { ...process.env, ZKPLAN_TRACE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', () => (exitMs = performance.now() - t0));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: exitMs || performance.now() - t0 }));
  });
}

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function stats(xs: number[]): Stats | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median: Math.round(median), min: Math.round(s[0]!), max: Math.round(s[s.length - 1]!) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
export const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
export const tail = (s: string, lines = 15) => s.trim().split('\n').slice(-lines).join('\n');
export const loadAvg1 = (): number => Number(os.loadavg()[0]!.toFixed(2));

export function describeFailure(r: Timed): string {
  return `exit ${r.code} after ${Math.round(r.ms)} ms: ${tail(r.stderr || r.stdout)}`;
}

/**
 * `trace <at> ms  <phase> <took> ms` lines (src/remote/trace.ts). 'start-up' is what came before
 * the first phase (node, module loading, reading the inventory), counted from process start.
 */
export function parseTrace(stderr: string): Record<string, number> {
  const phases: Record<string, number> = {};
  let first: number | undefined;
  for (const line of stderr.split('\n')) {
    const m = /^trace\s+(\d+) ms\s+(.+?)\s+(\d+) ms/.exec(line);
    if (!m) continue;
    const at = Number(m[1]);
    const took = Number(m[3]);
    first = Math.min(first ?? Infinity, at - took);
    phases[m[2]!] = (phases[m[2]!] ?? 0) + took;
  }
  if (first !== undefined) phases['start-up'] = first;
  return phases;
}
