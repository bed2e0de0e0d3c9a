// zkplan status: per server its host, container state, role, zxid, latency, connections and
// drift from the plan. Whole and matching the plan → ok.
import type { EnsemblePlan } from '../plan/types.js';
import { listEnsembleContainers } from '../remote/commands/docker.js';
import { desiredContainers, LABEL_ENSEMBLE } from '../rollout/desired.js';
import { probeEnsemble, judgeEnsemble } from '../verify/ensemble.js';
import { inspectEnsemble } from './inspect.js';
import { tunnelDial, verifyMembers, type Sessions } from './sessions.js';

export interface ServerStatus {
  id: number;
  role: string;
  host: string;
  name: string;
  container: string;
  mode: string | null;
  zxid: string | null;
  latencyAvg: number | null;
  connections: number | null;
  drift: string[];
}

export interface EnsembleStatus {
  ensemble: string;
  ok: boolean;
  servers: ServerStatus[];
  unexpected: string[];
  problems: string[];
}

export async function ensembleStatus(ensemble: EnsemblePlan, sessions: Sessions, timeoutMs: number): Promise<EnsembleStatus> {
  const desired = desiredContainers(ensemble, (h) => sessions.get(h)!.host.stateDir);
  const [observed, probe, labelled] = await Promise.all([
    inspectEnsemble(sessions, desired),
    probeEnsemble(verifyMembers(ensemble), tunnelDial(sessions), timeoutMs),
    Promise.all([...new Set(desired.map((d) => d.host))].map(async (h) => ({ h, r: await sessions.get(h)!.run(listEnsembleContainers(LABEL_ENSEMBLE, ensemble.name)) }))),
  ]);
  const verdict = judgeEnsemble(verifyMembers(ensemble), probe);
  const servers: ServerStatus[] = desired.map((d) => {
    const o = observed.get(d.serverId)!;
    const p = probe.servers.find((s) => s.id === d.serverId);
    const drift: string[] = [];
    if (!o.exists) drift.push('container missing');
    else if (!o.running) drift.push(`container ${o.status ?? 'not running'}`);
    if (o.exists && o.configHash !== d.configHash) drift.push(`configuration differs from the plan (${o.configHash ?? 'no hash'} ≠ ${d.configHash})`);
    return {
      id: d.serverId,
      role: d.role,
      host: d.host,
      name: d.name,
      container: o.exists ? (o.status ?? (o.running ? 'running' : 'stopped')) : 'missing',
      mode: p?.mode ?? null,
      zxid: p?.zxid != null ? `0x${p.zxid.toString(16)}` : null,
      latencyAvg: p?.latencyAvg ?? null,
      connections: p?.connections ?? null,
      drift,
    };
  });
  const expected = new Set(desired.map((d) => `${d.host}/${d.name}`));
  const unexpected = labelled.flatMap(({ h, r }) =>
    r.stdout
      .split('\n')
      .map((n) => n.trim())
      .filter((n) => n && !expected.has(`${h}/${n}`))
      .map((n) => `${h}/${n}`),
  );
  const problems = [...verdict.issues.map((i) => i.message), ...unexpected.map((u) => `unexpected container ${u} carries this ensemble's label`)];
  const ok = verdict.ok && servers.every((s) => s.drift.length === 0) && unexpected.length === 0;
  return { ensemble: ensemble.name, ok, servers, unexpected, problems };
}
