// The local target (`zkplan up --local` / `down`): a single-host ensemble (the reference
// article's methods 2-4) on the Docker engine of this machine. The network with the plan's
// subnet/gateway/ip-range and named data volumes are made before the first server; verify
// dials the published client ports directly. Everything zkplan makes carries the owner labels,
// so `down` removes exactly that, servers dropped from the inventory since included.
import { OperationalError } from '../../common/problems.js';
import type { Check, DesiredServer, Driver, FormerServer, HeldLock, HostChecks, ObservedServer, Progress } from '../../engine/driver.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { containerLogsTail, dockerRun, dockerServerVersion, imageId, pullImage, startContainer } from '../../remote/commands/docker.js';
import { createNetwork, createVolume, forceRemoveContainers, listContainers, listNetworks, listVolumes, removeNetwork, removeVolumes, stopContainer } from '../../remote/commands/docker-local.js';
import { mapLimit } from '../../remote/concurrency.js';
import { runChecked, type HostSession } from '../../remote/session.js';
import { directDialWithTimeout, type Dial } from '../../verify/dial.js';
import type { Member } from '../../verify/types.js';
import { servingPort } from '../../rollout/rollout.js';
import { localContainers, localMembers, ownerLabels } from './desired.js';
import { findFormerServers, moveVolumesAside } from './membership.js';
import { networkMismatches, observeContainers, observeNetwork, type ObservedNetwork } from './observe.js';

const PROBE_TIMEOUT_MS = 2000;

/** What up and down did besides the servers, for their reports. */
export interface LocalResult {
  network: { name: string; action: 'created' | 'kept' | 'existing (not created by zkplan)' };
  /** down: containers zkplan removed that the plan no longer has */
  strays: string[];
  /** down: networks removed */
  networks: string[];
  volumesRemoved: string[];
  volumesKept: string[];
}

export class LocalDriver implements Driver {
  readonly target = 'local' as const;
  readonly membersFixed = true;
  readonly dial: Dial;
  readonly singleEngine = true;
  /** the named volumes of each former server's container, by container name (formerServers) */
  private readonly formerVolumes = new Map<string, string[]>();
  private network: ObservedNetwork | { error: string } | undefined;
  private engineVersion: string | undefined;
  private readonly result: LocalResult;

  constructor(
    private readonly ensemble: EnsemblePlan,
    private readonly session: HostSession,
    private readonly progress: Progress,
    /** how verify reaches the published client ports: TLS for a secured ensemble's TLS-only port (src/drivers/local/secured.ts) */
    clientDial: (plain: Dial) => Dial = (plain) => plain,
  ) {
    this.dial = clientDial(directDialWithTimeout(PROBE_TIMEOUT_MS));
    const net = ensemble.dockerNetwork;
    if (net === undefined) throw new Error(`internal error: ensemble ${ensemble.name} has no docker network`);
    this.result = { network: { name: net.name, action: 'kept' }, strays: [], networks: [], volumesRemoved: [], volumesKept: [] };
  }

  get outcome(): LocalResult {
    return this.result;
  }

  /** One engine, one user: there is no state directory to hold a lock in. */
  async lock(): Promise<HeldLock> {
    return { release: async () => {} };
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    if (this.engineVersion === undefined) {
      const engine = await this.session.run(dockerServerVersion());
      if (engine.code !== 0) throw new OperationalError(`cannot reach the Docker engine: ${engine.stderr.trim() || `docker exited with ${engine.code}`}; nothing was changed`);
      this.engineVersion = engine.stdout.trim();
      this.progress.step(this.host, 'engine', 'ok', `Docker ${this.engineVersion}`);
    }
    this.network = await observeNetwork(this.session, this.networkPlan.name, this.ensemble.name).catch((e: Error) => ({ error: e.message }));
    return observeContainers(this.session, desired, this.ensemble.name);
  }

  async preflight(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, opts: { dryRun: boolean }): Promise<HostChecks[]> {
    const checks: Check[] = [{ name: 'docker', ok: true, detail: `Docker ${this.engineVersion ?? '?'}` }];
    const net = this.networkPlan;
    const seen = this.network;
    if (seen === undefined || 'error' in seen) checks.push({ name: 'network', ok: false, detail: seen?.error ?? 'not observed' });
    else if (seen.exists) {
      const mismatches = networkMismatches(net, seen);
      const fix = seen.ours ? 'run zkplan down to remove it (it was made by an earlier zkplan up)' : 'it was not made by zkplan: remove it or name another network in docker_network.name';
      checks.push({ name: 'network', ok: mismatches.length === 0, detail: mismatches.length ? `network ${net.name} exists with ${mismatches.join('; ')}; ${fix}` : `${net.name} ${seen.ours ? 'kept' : 'exists (not created by zkplan)'}` });
    } else {
      // A container still attached to a network that is gone can neither start nor be reused.
      const orphans = desired.filter((d) => observed.get(d.serverId)?.exists && !observed.get(d.serverId)?.foreign);
      checks.push({
        name: 'network',
        ok: orphans.length === 0,
        detail: orphans.length ? `network ${net.name} is missing while ${orphans.map((d) => d.name).join(', ')} exist${orphans.length > 1 ? '' : 's'}: run zkplan down, then zkplan up` : `${net.name} to be created`,
      });
    }
    checks.push(await this.imageCheck(desired, observed, opts.dryRun));
    if (this.ensemble.network === 'links' && this.formerVolumes.size > 0) {
      // A server restarted without the link to one that still runs cannot resolve its alias:
      // each lookup then waits for the engine's DNS to give up, longer than ZooKeeper's initLimit.
      checks.push({
        name: 'membership',
        ok: false,
        detail: `on a links network zkplan cannot remove ${[...this.formerVolumes.keys()].join(', ')} from the running membership yet (the servers that stay would lose the link alias of a server still running); use network bridge or static-ip, or down and up`,
      });
    }
    return [{ host: this.host, ok: checks.every((c) => c.ok), checks }];
  }

  members(_desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Member[] {
    return localMembers(this.ensemble).map((m) => ({ ...m, port: servingPort(observed.get(m.id), m.port) }));
  }

  async prepare(servers: readonly DesiredServer[]): Promise<void> {
    const seen = this.network;
    if (seen !== undefined && !('error' in seen) && !seen.exists) {
      const net = this.networkPlan;
      await runChecked(this.session, createNetwork({ ...net, labels: ownerLabels(this.ensemble.name) }));
      this.progress.step(this.host, 'network', 'ok', `created ${net.name}${net.subnet ? ` (subnet ${net.subnet}${net.gateway ? `, gateway ${net.gateway}` : ''}${net.ipRange ? `, ip-range ${net.ipRange}` : ''})` : ''}`);
      this.network = { exists: true, ours: true };
      this.result.network.action = 'created';
    } else if (seen !== undefined && !('error' in seen) && !seen.ours && this.result.network.action !== 'created') {
      this.result.network.action = 'existing (not created by zkplan)';
    }
    // Creating an existing volume changes nothing.
    const volumes = servers.flatMap((s) => s.spec.mounts.filter((m) => m.kind === 'volume').map((m) => m.source));
    await mapLimit(volumes, 4, (v) => runChecked(this.session, createVolume(v, ownerLabels(this.ensemble.name))));
  }

  async create(server: DesiredServer): Promise<void> {
    await runChecked(this.session, dockerRun(server.spec));
  }

  async replace(server: DesiredServer): Promise<void> {
    await runChecked(this.session, forceRemoveContainers([server.name]));
    await this.create(server);
  }

  async start(server: DesiredServer): Promise<void> {
    await runChecked(this.session, startContainer(server.name));
  }

  async remove(server: DesiredServer): Promise<void> {
    await runChecked(this.session, forceRemoveContainers([server.name]));
  }

  /** Membership changes (src/drivers/local/membership.ts): containers of the ensemble whose id the plan does not have. */
  async formerServers(desired: readonly DesiredServer[]): Promise<FormerServer[]> {
    const found = await findFormerServers(this.session, this.ensemble, new Set(desired.map((d) => d.serverId)));
    return found.map(({ volumes, ...former }) => {
      this.formerVolumes.set(former.name, volumes);
      return former;
    });
  }

  /** Stopped, then started once `whileDown` says another server leads: a quick restart would often lead again. */
  async restartFormer(f: FormerServer, whileDown?: () => Promise<void>): Promise<void> {
    await runChecked(this.session, stopContainer(f.name));
    try {
      await whileDown?.();
    } finally {
      await runChecked(this.session, startContainer(f.name));
    }
  }

  async retire(f: FormerServer, suffix: string): Promise<string[]> {
    await runChecked(this.session, forceRemoveContainers([f.name]));
    return moveVolumesAside(this.session, this.ensemble, this.formerVolumes.get(f.name) ?? [], suffix);
  }

  /** A joining server's volumes, when an earlier member with its id left them. */
  async setAsideData(serverId: number, _host: string, suffix: string): Promise<string[]> {
    const planned = localContainers(this.ensemble).find((d) => d.serverId === serverId);
    const volumes = planned?.spec.mounts.filter((m) => m.kind === 'volume').map((m) => m.source) ?? [];
    return moveVolumesAside(this.session, this.ensemble, volumes, suffix);
  }

  async teardown(desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void> {
    const labels = ownerLabels(this.ensemble.name);
    // Servers the inventory no longer has: found by label, not by the plan.
    const planned = new Set(desired.map((d) => d.name));
    const strays = lines((await runChecked(this.session, listContainers(labels))).stdout).filter((n) => !planned.has(n));
    for (const name of strays) {
      await runChecked(this.session, forceRemoveContainers([name]));
      this.progress.step(this.host, 'remove', 'ok', `${name} (not in the plan)`);
    }
    this.result.strays = strays;
    // Only networks zkplan made carry the labels.
    const networks = lines((await runChecked(this.session, listNetworks(labels))).stdout);
    for (const n of networks) {
      await runChecked(this.session, removeNetwork(n));
      this.progress.step(this.host, 'network', 'ok', `removed ${n}`);
    }
    this.result.networks = networks;
    const volumes = lines((await runChecked(this.session, listVolumes(labels))).stdout);
    if (opts.purgeData && volumes.length > 0) {
      await runChecked(this.session, removeVolumes(volumes));
      this.progress.step(this.host, 'purge', 'ok', volumes.join(' '));
    }
    this.result.volumesRemoved = opts.purgeData ? volumes : [];
    this.result.volumesKept = opts.purgeData ? [] : volumes;
  }

  async logsTail(server: DesiredServer, lines: number): Promise<string> {
    const logs = await this.session.run(containerLogsTail(server.name, lines));
    return logs.code === 0 ? `${logs.stdout}${logs.stderr}`.trim() : '';
  }

  async unexpected(desired: readonly DesiredServer[]): Promise<string[]> {
    const planned = new Set(desired.map((d) => d.name));
    return lines((await runChecked(this.session, listContainers(ownerLabels(this.ensemble.name)))).stdout)
      .filter((n) => !planned.has(n));
  }

  private get host(): string {
    return this.session.host.name;
  }

  private get networkPlan() {
    return this.ensemble.dockerNetwork!;
  }

  /** Present, or pulled now (not on a dry run); only needed when a server is to be made. */
  private async imageCheck(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, dryRun: boolean): Promise<Check> {
    const image = this.ensemble.image;
    if ((await this.session.run(imageId(image))).code === 0) return { name: 'image', ok: true, detail: `${image} present` };
    const needed = desired.some((d) => !observed.get(d.serverId)?.exists || observed.get(d.serverId)?.configHash !== d.configHash);
    if (!needed) return { name: 'image', ok: true, detail: `${image} not present; no container needs it made` };
    if (dryRun) return { name: 'image', ok: true, detail: `${image} not present; up pulls it` };
    const pulled = await this.session.run(pullImage(image));
    if (pulled.code !== 0) return { name: 'image', ok: false, detail: `${image} is not on the local engine and cannot be pulled: ${pulled.stderr.trim()}` };
    this.progress.step(this.host, 'image', 'ok', `pulled ${image}`);
    return { name: 'image', ok: true, detail: `${image} pulled` };
  }
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
