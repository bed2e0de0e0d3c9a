// The host target: each server a container under host networking on an inventory host, reached
// over SSH. Taking the lock shares one exec per host with inspect and every preflight probe, and
// that exec stays open until the release: creates, replaces, inspects and log tails run through
// it (src/drivers/host/lock.ts), so a host's login shell starts once per run.
import type { DesiredServer, Driver, HeldLock, LockOptions, ObservedServer } from '../../engine/driver.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { allOf } from '../../remote/batch.js';
import { containerLogsTail, listEnsembleContainers, recreateContainer, removeContainer, startContainer } from '../../remote/commands/docker.js';
import { privateSecrets, removeEmptyDirectories, removePaths } from '../../remote/commands/host.js';
import { mapLimit } from '../../remote/concurrency.js';
import { checkResult, type RunResult } from '../../remote/session.js';
import { desiredContainers, ensembleStateDir, LABEL_ENSEMBLE, secretsDirPath, secretsRootPath, type DesiredContainer } from '../../rollout/desired.js';
import { secretsOwner, type SecurityPlan } from '../../plan/security.js';
import type { EnsembleMaterial } from '../../security/material.js';
import { tlsDial, tlsOrPlainDial, type TlsClientMaterial } from '../../verify/tls-dial.js';
import type { Dial } from '../../verify/dial.js';
import { hostRecord } from '../../rollout/record.js';
import type { EnsembleHealth } from '../../verify/ensemble.js';
import type { Member } from '../../verify/types.js';
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
    /** a secured ensemble's key material and secrets (src/security/material.ts) */
    private readonly material?: EnsembleMaterial,
  ) {
    this.dial = clientDial(tunnelDial(sessions), ensemble.security, material?.client);
    const secrets = material && {
      sourceOf: (host: string, server: string) => secretsDirPath(this.stateDir(host), ensemble.name, server),
      fingerprintOf: (server: string) => material.servers.get(server)!.fingerprint,
    };
    this.containers = new Map(desiredContainers(ensemble, (h) => this.stateDir(h), {}, secrets).map((c) => [c.serverId, c]));
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
    return desired.filter((d) => host === undefined || d.host === host).map((d) => this.containers.get(d.serverId)!);
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

  /** What runs now for every server, outside the deploy lock (apply reads the security steps from it). */
  async observeAll(): Promise<ObservedServer[]> {
    return [...(await this.observe(this.desired())).values()].filter((o) => o.exists);
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
      if (this.material && this.ensemble.security) await this.pushSecrets(host, servers.filter((d) => d.host === host));
    });
  }

  /** The servers' key material and secrets, by SFTP (never a command line), into root-only directories. */
  private async pushSecrets(host: string, servers: readonly DesiredServer[]): Promise<void> {
    const stateDir = this.stateDir(host);
    const dirs = servers.map((d) => secretsDirPath(stateDir, this.ensemble.name, d.name));
    const files = servers.flatMap((d, i) => this.material!.servers.get(d.name)!.files.map((f) => ({ path: `${dirs[i]}/${f.name}`, content: f.content, mode: 0o600 })));
    await this.sessions.get(host)!.putFiles(files);
    await this.checked(host, privateSecrets(secretsRootPath(stateDir, this.ensemble.name), dirs, secretsOwner(this.ensemble.profile)));
  }

  // One command line, the very one the pushed run.sh runs: each exec would start the host's
  // login shell again. A create finds no container to remove.
  async create(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  async replace(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  private async recreate(d: DesiredServer): Promise<void> {
    const c = this.containers.get(d.serverId)!;
    await this.checked(d.host, allOf(recreateContainer(c.spec, { envFile: c.envFile })));
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
        const remove = removePaths([ensembleStateDir(this.stateDir(h), this.ensemble.name), ...dataDirs]);
        await this.checked(h, opts.purgeData ? allOf([remove, removeEmptyDirectories([...new Set(dataDirs.map(parentDir))])]) : remove);
      }),
    );
  }

  async report(health: EnsembleHealth, changed: boolean): Promise<Partial<HostReport>> {
    return changed || !health.ok ? { reachability: await reachabilityMatrix(this.ensemble, this.sessions, health) } : {};
  }
}

/**
 * How verify speaks to the client port: plain text while a plain port is open on every server
 * (no client TLS, `both`, and the unify step, where client.portUnification takes plain text too);
 * TLS once the port is TLS only; in the tls step of `only` (a step that can meet TLS-only servers
 * on the way back, port-unified ones on the way there), TLS first, then plain text.
 */
function clientDial(plain: Dial, security: SecurityPlan | undefined, client: TlsClientMaterial | undefined): Dial {
  if (!client || security?.clientTls !== 'only' || security.phase === 'unify') return plain;
  return security.phase === 'tls' ? tlsOrPlainDial(plain, client) : tlsDial(plain, client);
}

function parentDir(p: string): string {
  return p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
}
