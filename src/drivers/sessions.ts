// One SSH session per host, opened in parallel (bounded), reused by every step of the host and Swarm drivers.
import { OperationalError } from '../common/problems.js';
import type { Host } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import { mapLimitSettled } from '../remote/concurrency.js';
import type { Executor, HostSession } from '../remote/session.js';
import { tracePhase } from '../remote/trace.js';
import type { Dial } from '../verify/dial.js';
import type { Progress } from '../engine/driver.js';

export type Sessions = Map<string, HostSession>;

async function openSessions(executor: Executor, hosts: readonly Host[], concurrency: number, progress: Progress): Promise<Sessions> {
  const phase = tracePhase('connect');
  const settled = await mapLimitSettled(hosts, concurrency, async (h) => {
    const session = await executor.session(h);
    progress.step(h.name, 'connect', 'ok', `${h.ssh.user ?? ''}${h.ssh.user ? '@' : ''}${h.address}`);
    return session;
  });
  phase.end(`${hosts.length} host(s)`);
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${hosts[i]!.name}: ${(s.reason as Error).message}`] : []));
  if (failures.length > 0) {
    for (const f of failures) progress.note(`connect failed: ${f}`);
    throw new OperationalError(`cannot reach ${failures.length} host${failures.length > 1 ? 's' : ''}; nothing was changed on any host\n  ${failures.join('\n  ')}`);
  }
  return new Map(settled.map((s, i) => [hosts[i]!.name, (s as PromiseFulfilledResult<HostSession>).value]));
}

/**
 * openSessions begun, returned once its handshakes have dialled: everything before an SSH dial
 * runs within microtasks (connectTarget), so the next turn of the event loop comes after it. A
 * command loads the modules it needs next after this, while the hosts answer, and not in between
 * (a module's initialisation blocks the loop, and so the dial, for as long as it runs). `ready`
 * settles as openSessions does; until awaited, its failure is not an unhandled rejection.
 */
export async function dialSessions(executor: Executor, hosts: readonly Host[], concurrency: number, progress: Progress): Promise<{ ready: Promise<Sessions> }> {
  const ready = openSessions(executor, hosts, concurrency, progress);
  ready.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  return { ready };
}

/**
 * Sessions to the inventory's other hosts, where servers the plan no longer has may still run
 * (a membership change stops them). Best effort: a host that does not answer (a dead host whose
 * servers moved) is noted and left out; the apply does not need it.
 */
export async function openSpareSessions(executor: Executor, hosts: readonly Host[], concurrency: number, progress: Progress): Promise<Sessions> {
  const settled = await mapLimitSettled(hosts, concurrency, async (h) => executor.session(h));
  const sessions: Sessions = new Map();
  settled.forEach((s, i) => {
    const h = hosts[i]!;
    if (s.status === 'fulfilled') {
      sessions.set(h.name, s.value);
      progress.step(h.name, 'connect', 'ok', `${h.address} (no planned server: searched for servers that leave)`);
    } else progress.step(h.name, 'connect', 'skip', `${h.address} does not answer (${(s.reason as Error).message}); it runs no planned server`);
  });
  return sessions;
}

/** The hosts of the inventory that run servers of these ensembles, in inventory order. */
export function hostsOf(all: readonly Host[], ensembles: readonly EnsemblePlan[]): Host[] {
  const used = new Set(ensembles.flatMap((e) => e.servers.map((s) => s.host.name)));
  return all.filter((h) => used.has(h.name));
}

/** Verify reaches each server's client port through its own host's SSH connection. */
export function tunnelDial(sessions: Sessions): Dial {
  return async (address, port) => {
    const session = [...sessions.values()].find((s) => s.host.address === address);
    if (!session) throw new Error(`no SSH session to a host with address ${address}`);
    return session.dial('127.0.0.1', port);
  };
}
