// The host target's addition to the apply report: from every host, can each peer's election
// port (and the leader's quorum port) be reached? A wrong firewall shows here by name.
import type { EnsemblePlan } from '../../plan/types.js';
import { runBatch, type BatchCommand } from '../../remote/batch.js';
import { tcpReachable } from '../../remote/commands/host.js';
import type { HostSession } from '../../remote/session.js';
import type { EnsembleHealth } from '../../verify/ensemble.js';
import type { Sessions } from '../sessions.js';

export interface ReachabilityRow {
  from: string;
  to: string;
  port: number;
  ok: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

/**
 * From every host, can each peer's election port (and the leader's quorum port) be reached?
 * Asked through the host's own SSH connection (a direct-tcpip channel makes sshd on that host
 * connect to the peer), so the whole matrix costs no shell start. A host whose sshd refuses
 * forwarding to peers answers with one batched exec of `nc -z` probes instead.
 */
export async function reachabilityMatrix(ensemble: EnsemblePlan, sessions: Sessions, health: EnsembleHealth): Promise<ReachabilityRow[]> {
  const leader = health.servers.find((s) => s.mode === 'leader')?.id;
  const rows: ReachabilityRow[] = [];
  await Promise.all(
    ensemble.servers.map(async (from) => {
      const session = sessions.get(from.host.name)!;
      const probes = ensemble.servers
        .filter((to) => to.id !== from.id)
        .flatMap((to) => [to.ports.election, ...(to.id === leader ? [to.ports.quorum] : [])].map((port) => ({ to, port })));
      const viaTunnel = await Promise.all(probes.map(({ to, port }) => tunnelReachable(session, to.host.address, port)));
      let answers: (boolean | undefined)[] = viaTunnel;
      if (viaTunnel.includes(undefined)) {
        const commands: BatchCommand[] = probes.map(({ to, port }, i) => ({ name: `p${i}`, argv: tcpReachable(to.host.address, port) }));
        const results = await runBatch(session, commands);
        answers = probes.map((_, i) => results.get(`p${i}`)?.code === 0);
      }
      probes.forEach(({ to, port }, i) => rows.push({ from: from.host.name, to: to.host.name, port, ok: answers[i] === true }));
    }),
  );
  return rows.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.port - b.port);
}

// SSH_OPEN_CONNECT_FAILED: sshd tried and the peer did not accept. Any other refusal (forwarding
// prohibited, ...) says nothing about the network: undefined, ask the shell.
const SSH_OPEN_CONNECT_FAILED = 2;

function tunnelReachable(session: HostSession, address: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    // A peer that drops packets leaves sshd waiting for its TCP timeout: unreachable, like nc -w.
    const timer = setTimeout(() => resolve(false), timeoutMs);
    session.dial(address, port).then(
      (stream) => {
        clearTimeout(timer);
        stream.destroy();
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const cause = (err as { cause?: { reason?: unknown } }).cause;
        resolve(cause?.reason === SSH_OPEN_CONNECT_FAILED ? false : undefined);
      },
    );
  });
}
