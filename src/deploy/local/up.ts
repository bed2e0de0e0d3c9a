// zkplan up --local: one single-host ensemble (the reference article's methods 2-4) on the local
// Docker engine. Inspect, plan the rollout, then create only what is missing or changed: the
// network with the plan's subnet/gateway/ip-range, named data volumes, one container per
// server; changed running servers are replaced one at a time, the leader last. Proven by the
// same verify as apply, through the published client ports.
import { OperationalError } from '../../common/problems.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { containerLogsTail, dockerRun, dockerServerVersion, imageId, pullImage, startContainer } from '../../remote/commands/docker.js';
import { createNetwork, createVolume, forceRemoveContainers } from '../../remote/commands/docker-local.js';
import { mapLimit } from '../../remote/concurrency.js';
import { runChecked, type HostSession } from '../../remote/session.js';
import { planRollout, type RolloutPlan, type ServerAction } from '../../rollout/rollout.js';
import { directDialWithTimeout } from '../../verify/dial.js';
import { probeServer, waitForEnsemble, type EnsembleHealth } from '../../verify/ensemble.js';
import { describeHealth, indent } from '../apply.js';
import type { Progress } from '../progress.js';
import { connectString, localContainers, localMembers, ownerLabels, type LocalContainer } from './desired.js';
import { networkMismatches, observeContainers, observeNetwork } from './engine.js';

export interface LocalUpOptions {
  timeoutMs: number;
}

export interface LocalUpReport {
  ensemble: string;
  network: { name: string; action: 'created' | 'kept' | 'existing (not created by zkplan)' };
  rollout: RolloutPlan;
  connectString: string;
  health: EnsembleHealth;
  elapsedMs: number;
  ok: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

export async function upLocal(ensemble: EnsemblePlan, session: HostSession, progress: Progress, opts: LocalUpOptions): Promise<LocalUpReport> {
  const started = Date.now();
  const host = session.host.name;
  const net = ensemble.dockerNetwork;
  if (net === undefined) throw new Error(`internal error: ensemble ${ensemble.name} has no docker network`);
  const desired = localContainers(ensemble);
  const members = localMembers(ensemble);
  const dial = directDialWithTimeout(PROBE_TIMEOUT_MS);

  const engine = await session.run(dockerServerVersion());
  if (engine.code !== 0) throw new OperationalError(`cannot reach the Docker engine: ${engine.stderr.trim() || `docker exited with ${engine.code}`}`);
  progress.step(host, 'engine', 'ok', `Docker ${engine.stdout.trim()}`);

  const network = await observeNetwork(session, net.name, ensemble.name);
  const mismatches = network.exists ? networkMismatches(net, network) : [];
  if (mismatches.length > 0) {
    const fix = network.ours ? `run zkplan down to remove it (it was made by an earlier zkplan up)` : `it was not made by zkplan: remove it or name another network in docker_network.name`;
    throw new OperationalError(`network ${net.name} exists with ${mismatches.join('; ')}; ${fix}. Nothing was changed`);
  }

  const observed = await observeContainers(session, desired, ensemble.name);
  const foreign = desired.filter((d) => observed.get(d.serverId)?.foreign);
  if (foreign.length > 0) {
    throw new OperationalError(
      `container${foreign.length > 1 ? 's' : ''} ${foreign.map((d) => d.name).join(', ')} exist${foreign.length > 1 ? '' : 's'} but ` +
        `${foreign.length > 1 ? 'were' : 'was'} not made by zkplan up for ensemble ${ensemble.name}: remove or rename ${foreign.length > 1 ? 'them' : 'it'}, or set service_prefix. Nothing was changed`,
    );
  }
  // The rollout orders running servers by their role, the leader last.
  await Promise.all(
    members
      .filter((m) => observed.get(m.id)?.running)
      .map(async (m) => {
        const probe = await probeServer(m, dial, PROBE_TIMEOUT_MS);
        if (probe.mode) observed.get(m.id)!.mode = probe.mode;
      }),
  );

  const rollout = planRollout(desired, observed);
  for (const a of [...rollout.parallel, ...rollout.rolling, ...rollout.unchanged]) progress.step(host, 'plan', 'info', `${a.name}: ${a.kind} (${a.reason})`);
  if (rollout.refusal) throw new OperationalError(`refusing to change ${ensemble.name}: ${rollout.refusal}; nothing was changed`);

  const changing = [...rollout.parallel, ...rollout.rolling];
  const networkAction: LocalUpReport['network']['action'] = network.exists ? (network.ours ? 'kept' : 'existing (not created by zkplan)') : 'created';
  if (changing.length > 0) {
    await ensureImage(session, ensemble.image, progress);
    if (!network.exists) {
      await runChecked(session, createNetwork({ ...net, labels: ownerLabels(ensemble.name) }));
      progress.step(host, 'network', 'ok', `created ${net.name}${net.subnet ? ` (subnet ${net.subnet}${net.gateway ? `, gateway ${net.gateway}` : ''}${net.ipRange ? `, ip-range ${net.ipRange}` : ''})` : ''}`);
    }
    const volumes = desired.filter((d) => changing.some((a) => a.serverId === d.serverId)).flatMap((d) => d.volumes.map((v) => v.name));
    await mapLimit(volumes, 4, (v) => runChecked(session, createVolume(v, ownerLabels(ensemble.name))));
  } else if (!network.exists) {
    // Every container exists but the network is gone; a run would fail on each of them.
    throw new OperationalError(`network ${net.name} is missing while the containers exist: run zkplan down, then zkplan up`);
  }

  const deadline = started + opts.timeoutMs;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const verify = () => waitForEnsemble(members, dial, { timeoutMs: remaining(), pollMs: 200, requestTimeoutMs: PROBE_TIMEOUT_MS });

  progress.note(`${ensemble.name}: connect string ${connectString(members)}; waiting until the ensemble is proven`);
  await mapLimit(rollout.parallel, 4, (a) => execute(a, desired, session, progress));
  for (const step of rollout.rolling) {
    await execute(step, desired, session, progress);
    const health = await verify();
    progress.step(host, 'verify', health.ok ? 'ok' : 'fail', health.ok ? `ensemble whole again after replacing ${step.name}` : health.problems.join('; '));
    if (!health.ok) throw new OperationalError(`rollout of ${ensemble.name} stopped after ${step.name}: the ensemble is not whole\n${describeHealth(health)}`);
  }
  const health = await verify();
  progress.note(
    health.ok
      ? `${ensemble.name}: verified in ${(health.elapsedMs / 1000).toFixed(1)} s: one leader, followers synced, znode ${health.znode?.path ?? ''} read back through every server`
      : `${ensemble.name}: NOT verified within the timeout\n${describeHealth(health)}`,
  );
  return {
    ensemble: ensemble.name,
    network: { name: net.name, action: networkAction },
    rollout,
    connectString: connectString(members),
    health,
    elapsedMs: Date.now() - started,
    ok: health.ok,
  };
}

async function ensureImage(session: HostSession, image: string, progress: Progress): Promise<void> {
  if ((await session.run(imageId(image))).code === 0) return;
  const pulled = await session.run(pullImage(image));
  if (pulled.code !== 0) throw new OperationalError(`image ${image} is not on the local engine and cannot be pulled: ${pulled.stderr.trim()}`);
  progress.step(session.host.name, 'image', 'ok', `pulled ${image}`);
}

async function execute(a: ServerAction, desired: readonly LocalContainer[], session: HostSession, progress: Progress): Promise<void> {
  const d = desired.find((x) => x.serverId === a.serverId)!;
  try {
    if (a.kind === 'start') {
      await runChecked(session, startContainer(d.name));
    } else {
      if (a.kind === 'change') await runChecked(session, forceRemoveContainers([d.name]));
      await runChecked(session, dockerRun(d.spec));
    }
    progress.step(session.host.name, a.kind, 'ok', d.name);
  } catch (e) {
    const logs = await session.run(containerLogsTail(d.name, 10)).catch(() => undefined);
    progress.step(session.host.name, a.kind, 'fail', `${d.name}: ${(e as Error).message}`);
    const tail = logs?.code === 0 && (logs.stdout || logs.stderr) ? `\n  last log lines:\n${indent(logs.stdout + logs.stderr)}` : '';
    throw new OperationalError(`${a.kind} ${d.name} failed: ${(e as Error).message}${tail}`);
  }
}
