// The host target: each server a container under host networking on an inventory host, reached
// over SSH. Taking the lock shares one exec per host with inspect and every preflight probe, and
// that exec stays open until the release: creates, replaces, inspects and log tails run through
// it (src/drivers/host/lock.ts), so a host's login shell starts once per run.
import type { DesiredServer, Driver, FormerServer, HeldLock, LockOptions, ObservedServer } from '../../engine/driver.js';
import { serverDir } from '../../plan/plan.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { allOf } from '../../remote/batch.js';
import { containerLogsTail, listEnsembleContainers, listEnsembleServers, recreateContainer, removeContainer, restartContainer, startContainer } from '../../remote/commands/docker.js';
import { movePathsAside, removeAsideDirectories, removeEmptyDirectories, removePaths } from '../../remote/commands/host.js';
import { mapLimit } from '../../remote/concurrency.js';
import { checkResult, type RunResult } from '../../remote/session.js';
import { desiredContainers, ensembleStateDir, envFilePath, LABEL_ENSEMBLE, LABEL_SERVER, type DesiredContainer } from '../../rollout/desired.js';
import { hostRecord } from '../../rollout/record.js';
import type { EnsembleHealth } from '../../verify/ensemble.js';
import type { Member } from '../../verify/types.js';
import { directDialWithTimeout } from '../../verify/dial.js';
import { inspectCommand, observedFrom } from './inspect.js';
import { lockAndRun, type HostResults } from '../lock.js';
import { judgePreflight, preflightCommands, type HostPreflight } from './preflight.js';
import { tunnelDial, type Sessions } from '../sessions.js';
import { reachabilityMatrix, type ReachabilityRow } from './reachability.js';

export interface HostReport {
  reachability: ReachabilityRow[];
}

const NOTHING_FOUND: RunResult = { code: 0, stdout: '[]', stderr: '' };

export class HostDriver implements Driver<HostReport> {
  readonly target = 'host';
  readonly dial;
  readonly directDial = directDialWithTimeout(2000);
  /** each server's spec with the env file it is run from, by server id */
  private readonly containers: Map<number, DesiredContainer>;
  /** what the lock's exec found on each host, until observe() and preflight() used it */
  private found: Map<string, HostResults> | undefined;
  private unread = false;
  private run: (host: string, argv: readonly string[]) => Promise<RunResult>;

  constructor(
    private readonly ensemble: EnsemblePlan,
    private readonly sessions: Sessions,
    private readonly concurrency: number,
    /** every ensemble of the plan, for the host memory check (the heaps of all of them count) */
    private readonly coTenants: readonly EnsemblePlan[] = [ensemble],
  ) {
    this.dial = tunnelDial(sessions);
    this.containers = new Map(desiredContainers(ensemble, (h) => this.stateDir(h)).map((c) => [c.serverId, c]));
    this.run = (host, argv) => sessions.get(host)!.run(argv);
  }

  /** The servers as the engine sees them. */
  desired(): DesiredServer[] {
    return [...this.containers.values()];
  }

  private stateDir(host: string): string {
    return this.sessions.get(host)!.host.stateDir;
  }

  private mine(desired: readonly DesiredServer[], host?: string): DesiredContainer[] {
    // A server the plan no longer has (a membership change still runs it) has its env file beside the others.
    return desired.filter((d) => host === undefined || d.host === host).map((d) => this.containers.get(d.serverId) ?? { ...d, envFile: envFilePath(this.stateDir(d.host), this.ensemble.name, d.name) });
  }

  private hosts(desired: readonly DesiredServer[]): string[] {
    return [...new Set(desired.map((d) => d.host))];
  }

  async lock(desired: readonly DesiredServer[], opts: LockOptions): Promise<HeldLock> {
    const hosts = this.hosts(desired);
    const locked = await lockAndRun(this.sessions, this.ensemble.name, { command: opts.command, forceUnlock: opts.forceUnlock, lock: !opts.dryRun }, (h) =>
      hosts.includes(h) ? [inspectCommand(this.mine(desired, h)), ...preflightCommands(this.ensemble, this.mine(desired, h))] : [],
    );
    this.found = locked.byHost;
    this.unread = true;
    this.run = locked.run;
    return { release: async () => locked.lock?.release() };
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    const containers = this.mine(desired);
    let resultOf: (host: string) => RunResult | undefined;
    if (this.unread && this.found) {
      // Docker unreachable: preflight says so; there is nothing to observe on that host.
      const found = this.found;
      resultOf = (h) => (found.get(h)?.results.get('docker')?.code === 0 ? found.get(h)?.results.get('inspect') : NOTHING_FOUND);
      this.unread = false;
    } else {
      const hosts = this.hosts(desired);
      const results = new Map(await Promise.all(hosts.map(async (h) => [h, await this.run(h, inspectCommand(this.mine(desired, h)).argv)] as const)));
      resultOf = (h) => results.get(h);
    }
    return observedFrom(containers, resultOf);
  }

  async preflight(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, opts: { dryRun: boolean }): Promise<HostPreflight[]> {
    const found = this.found;
    if (!found) throw new Error('internal error: preflight before lock');
    return mapLimit(this.hosts(desired), this.concurrency, (h) =>
      judgePreflight(this.sessions.get(h)!, this.ensemble, this.mine(desired, h), observed, found.get(h)!, { pull: !opts.dryRun }, this.coTenants),
    );
  }

  /** Each server's client port on its host's address, reached through that host's SSH connection. */
  members(): Member[] {
    return this.ensemble.servers.map((s) => ({ id: s.id, role: s.role, address: s.host.address, port: s.ports.client }));
  }

  /**
   * Each host keeps a record of what is deployed on it (src/rollout/record.ts): env files and the
   * run.sh that re-creates its servers as apply does. Pushed just before servers of that host are
   * (re)created; a host the rollout did not reach keeps its record as it was.
   */
  async prepare(servers: readonly DesiredServer[], desired: readonly DesiredServer[]): Promise<void> {
    await mapLimit(this.hosts(servers), this.concurrency, async (host) => {
      await this.sessions.get(host)!.putFiles(hostRecord(this.ensemble.name, host, this.stateDir(host), desired.filter((d) => d.host === host)));
    });
  }

  // One command line, the very one the pushed run.sh runs: each exec would start the host's
  // login shell again. A create finds no container to remove.
  async create(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  async replace(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  // The spec given, not the plan's: a membership change runs a server (one the plan no longer
  // has too) with a step's membership.
  private async recreate(d: DesiredServer): Promise<void> {
    const envFile = envFilePath(this.stateDir(d.host), this.ensemble.name, d.name);
    await this.checked(d.host, allOf(recreateContainer(d.spec, { envFile })));
  }

  async start(d: DesiredServer): Promise<void> {
    await this.checked(d.host, startContainer(d.name));
  }

  async remove(d: DesiredServer): Promise<void> {
    await this.checked(d.host, removeContainer(d.name));
  }

  private async checked(host: string, argv: readonly string[]): Promise<void> {
    checkResult(host, argv, await this.run(host, argv));
  }

  /** Every connected host is searched (a host the plan no longer uses included, when it answered at connect). */
  async formerServers(desired: readonly DesiredServer[]): Promise<FormerServer[]> {
    const planned = new Set(desired.map((d) => d.serverId));
    const client = this.ensemble.servers[0]?.ports.client;
    const listed = await Promise.all(
      [...this.sessions.keys()].map(async (h) => ({ h, r: await this.run(h, listEnsembleServers(LABEL_ENSEMBLE, LABEL_SERVER, this.ensemble.name)) })),
    );
    return listed.flatMap(({ h, r }) =>
      r.stdout.split('\n').flatMap((line) => {
        const [name, id, state] = line.trim().split('\t');
        const serverId = Number(id);
        if (!name || !Number.isInteger(serverId) || serverId < 1 || planned.has(serverId)) return [];
        const address = this.sessions.get(h)!.host.address;
        return [{ serverId, host: h, name, running: state === 'running', ...(client !== undefined ? { member: { id: serverId, role: 'participant' as const, address, port: client } } : {}) }];
      }),
    );
  }

  async restartFormer(f: FormerServer): Promise<void> {
    await this.checked(f.host, restartContainer(f.name));
  }

  async retire(f: FormerServer, suffix: string): Promise<string[]> {
    await this.checked(f.host, removeContainer(f.name));
    await this.checked(f.host, removePaths([envFilePath(this.stateDir(f.host), this.ensemble.name, f.name)]));
    return this.setAsideData(f.serverId, f.host, suffix);
  }

  async setAsideData(serverId: number, host: string, suffix: string): Promise<string[]> {
    const log = this.ensemble.settings.dataLogDir;
    const dirs = [serverDir(this.ensemble.dataDir, this.ensemble.name, serverId), ...(log !== undefined ? [serverDir(log, this.ensemble.name, serverId)] : [])];
    const argv = movePathsAside(dirs, suffix);
    const r = await this.run(host, argv);
    checkResult(host, argv, r);
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  async logsTail(d: DesiredServer, lines: number): Promise<string> {
    const r = await this.run(d.host, containerLogsTail(d.name, lines));
    return `${r.stdout}${r.stderr}`;
  }

  async unexpected(desired: readonly DesiredServer[]): Promise<string[]> {
    const expected = new Set(desired.map((d) => `${d.host}/${d.name}`));
    const listed = await Promise.all(this.hosts(desired).map(async (h) => ({ h, r: await this.run(h, listEnsembleContainers(LABEL_ENSEMBLE, this.ensemble.name)) })));
    return listed.flatMap(({ h, r }) =>
      r.stdout
        .split('\n')
        .map((n) => n.trim())
        .filter((n) => n && !expected.has(`${h}/${n}`))
        .map((n) => `${h}/${n}`),
    );
  }

  /**
   * The record goes with the containers. Each server's directory (<data_dir>/<ensemble>/<id>) is
   * zkplan's own: purging removes it whole, not just the mounted subdirectories, and the
   * ensemble directory once it is empty.
   */
  async teardown(desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void> {
    // One command line per host, through the exec holding the lock: no second login shell.
    await Promise.all(
      this.hosts(desired).map(async (h) => {
        const dataDirs = opts.purgeData ? this.ensemble.servers.filter((s) => s.host.name === h).map((s) => s.dataDir) : [];
        const logDirs = opts.purgeData ? this.ensemble.servers.filter((s) => s.host.name === h && s.dataLogDir !== undefined).map((s) => s.dataLogDir!) : [];
        const remove = removePaths([ensembleStateDir(this.stateDir(h), this.ensemble.name), ...dataDirs]);
        // Data a membership change moved aside (src/rollout/aside.ts) goes with a purge too.
        const parents = [...new Set([...dataDirs, ...logDirs].map(parentDir))];
        await this.checked(h, opts.purgeData ? allOf([remove, removeAsideDirectories(parents), removeEmptyDirectories(parents)]) : remove);
      }),
    );
  }

  async report(health: EnsembleHealth, changed: boolean): Promise<Partial<HostReport>> {
    return changed || !health.ok ? { reachability: await reachabilityMatrix(this.ensemble, this.sessions, health) } : {};
  }
}

function parentDir(p: string): string {
  return p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
}
