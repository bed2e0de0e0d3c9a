// zkplan status <inventory> [--json]: exit 0 when every ensemble is whole and matches the plan.
// What the command runs (SSH, the engine, the drivers) is imported when it runs, not at every start.
import type { Command } from 'commander';
import { jsonText } from '../common/json.js';
import { OperationalError } from '../common/problems.js';
import { progressFor } from './progress.js';
import type { EnsembleStatus } from '../engine/engine.js';
import type { Io } from './io.js';
import { tableLines } from '../common/table.js';
import { addRemoteOptions, executorFor, isSwarmTarget, positiveInt, selectEnsembles, TARGET_OPTION, type RemoteFlags } from './remote-options.js';

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  addRemoteOptions(
    program.command('status').description('show each server: container, role, zxid, latency, connections, drift from the plan').argument('<inventory>', 'inventory YAML file')
      .option(...TARGET_OPTION),
  ).action(async (file: string, flags: RemoteFlags) => {
    if (isSwarmTarget(flags.target)) return (await import('./swarm.js')).statusSwarm(file, flags, io, setExit);
    const concurrency = positiveInt(flags.concurrency, '--concurrency');
    const [{ readPlan }, { dialSessions, hostsOf }] = await Promise.all([import('./inventory-file.js'), import('../drivers/sessions.js')]);
    const { inventory, plan } = readPlan(file, io);
    const ensembles = selectEnsembles(plan, flags.ensemble, ['host'], 'status');
    const executor = await executorFor(flags, io);
    const statuses: EnsembleStatus[] = [];
    try {
      // The SSH handshakes go on while the engine and the driver load.
      const connecting = await dialSessions(executor, hostsOf(inventory.hosts, ensembles), concurrency, progressFor(io, true));
      const [{ HostDriver }, { status }] = await Promise.all([import('../drivers/host/driver.js'), import('../engine/engine.js')]);
      const sessions = await connecting.ready;
      for (const e of ensembles) {
        const material = await (await import('../security/material.js')).materialOf(inventory, e, () => undefined);
        const superUser = e.settings.reconfig ? (await import('../security/super-digest.js')).ensureSuperCredential(file, e.name) : undefined;
        const driver = new HostDriver(e, sessions, concurrency, [e], material, superUser?.digest);
        statuses.push(await status({ ensemble: e.name, desired: driver.desired(), driver, progress: progressFor(io, true) }, 2000));
      }
    } finally {
      await executor.closeAll();
    }
    io.out(flags.json ? jsonText(statuses) : statuses.map(formatStatus).join('\n'));
    if (statuses.some((s) => !s.ok)) throw new OperationalError(`not every ensemble is whole and as planned`);
    setExit(0);
  });
}

function formatStatus(s: EnsembleStatus): string {
  const header = ['SERVER', 'ROLE', 'HOST', 'CONTAINER', 'MODE', 'ZXID', 'LATENCY', 'CONNS', 'DRIFT'];
  const rows = s.servers.map((x) => [
    String(x.id),
    x.role,
    x.host,
    `${x.name} ${x.container}`,
    x.mode ?? 'down',
    x.zxid ?? '-',
    x.latencyAvg === null ? '-' : `${x.latencyAvg} ms`,
    x.connections === null ? '-' : String(x.connections),
    x.drift.length ? x.drift.join('; ') : 'none',
  ]);
  const table = [header, ...rows];
  const lines = [`${s.ensemble}: ${s.ok ? 'whole and as planned' : 'NOT whole or not as planned'}`, ...tableLines(table)];
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
