// How the engine names what it found, in the messages that stop or end a rollout.
import type { EnsembleHealth } from '../verify/ensemble.js';

export function describeHealth(h: EnsembleHealth): string {
  const servers = h.servers.map(
    (s) => `  server ${s.id} ${s.address}:${s.port}: ${s.mode ?? 'not serving'}${s.zxid !== null ? ` zxid 0x${s.zxid.toString(16)}` : ''}${s.error ? ` (${s.error})` : ''}`,
  );
  return [...servers, ...h.problems.map((p) => `  problem: ${p}`)].join('\n');
}

/** Log lines or any other block, indented under the message that quotes it. */
export function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
