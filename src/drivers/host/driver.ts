// The host target: each server a container under host networking on an inventory host, reached
// over SSH. Every step talks to the host's Docker engine API and its files (SFTP) over the one
// connection already open (src/drivers/host/host-engine.ts): the deploy lock, inspection,
// preflight, records and containers start no login shell and no docker CLI on the host.
import { OperationalError } from '../../common/problems.js';
import { userInfo, hostname } from 'node:os';
import type { DesiredServer, Driver, FormerServer, HeldLock, LockOptions, ObservedServer } from '../../engine/driver.js';
import { serverDir } from '../../plan/plan.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { allOf } from '../../remote/batch.js';
import { ensembleLockDir, type LockDetails } from '../../remote/commands/lock.js';
import { movePathsAside, privateSecrets, removeAsideDirectories, removeEmptyDirectories, removePaths } from '../../remote/commands/host.js';
import { mapLimit } from '../../remote/concurrency.js';
import { runChecked } from '../../remote/session.js';
import { acquireLockFiles, releaseOwnLockFiles } from '../../remote/sftp-lock.js';
import { tracePhase } from '../../remote/trace.js';
import { desiredContainers, ensembleStateDir, envFilePath, LABEL_ENSEMBLE, secretsDirPath, secretsRootPath, type DesiredContainer } from '../../rollout/desired.js';
import { reloadsCertificates, SECRET_FILES, secretsOwner } from '../../plan/security.js';
import { sleep } from '../../common/sleep.js';
import { X509Certificate } from 'node:crypto';
import type { EnsembleMaterial } from '../../security/material.js';
import { clientPortDial, presentedCertificate } from '../../verify/tls-dial.js';
import { hostRecord } from '../../rollout/record.js';
import type { EnsembleHealth } from '../../verify/ensemble.js';
import type { Member } from '../../verify/types.js';
import { servingPort } from '../../rollout/rollout.js';
import { directDialWithTimeout } from '../../verify/dial.js';
import { engineFor } from './engine-address.js';
import { HostEngine } from './host-engine.js';
import { gatherPreflight, judgePreflight, type HostPreflight } from './preflight.js';
import { tunnelDial, type Sessions } from '../sessions.js';
import { reachabilityMatrix, type ReachabilityRow } from './reachability.js';
import { lockedBy } from '../lock.js';
import { CERTIFICATE_MARKER, hostSpecSecrets } from './spec-secrets.js';

export interface HostReport {
  reachability: ReachabilityRow[];
}

export class HostDriver implements Driver<HostReport> {
  readonly target = 'host';
  readonly membersFixed = true;
  readonly dial;
  readonly directDial = directDialWithTimeout(2000);
  /** each server's spec with the env file it is run from, by server id */
  private readonly containers: Map<number, DesiredContainer>;
  private readonly engines = new Map<string, Promise<HostEngine>>();
  /** the login's uid on each host, learnt from the lock directory it made */
  private readonly loginUid = new Map<string, Promise<number | undefined>>();
  /** its servers take renewed certificates without a restart (src/plan/security.ts reloadsCertificates) */
  private readonly reloads: boolean;

  constructor(
    private readonly ensemble: EnsemblePlan,
    private readonly sessions: Sessions,
    private readonly concurrency: number,
    /** every ensemble of the plan, for the host memory check (the heaps of all of them count) */
    private readonly coTenants: readonly EnsemblePlan[] = [ensemble],
    /** a secured ensemble's key material and secrets (src/security/material.ts) */
    private readonly material?: EnsembleMaterial,
    /** a reconfig ensemble's super-user digest (src/security/super-digest.ts) */
    superDigest?: string,
  ) {
    this.dial = clientPortDial(tunnelDial(sessions), ensemble.security, material?.client);
    const secrets = material && hostSpecSecrets(ensemble.name, (h) => this.stateDir(h), material, ensemble.security);
    this.reloads = material !== undefined && reloadsCertificates(ensemble.security);
    this.containers = new Map(
      desiredContainers(ensemble, (h) => this.stateDir(h), {}, secrets, superDigest).map((c) => {
        const certificate = this.reloads ? material!.servers.get(c.name)?.certificate : undefined;
        return [c.serverId, certificate !== undefined ? { ...c, certificate } : c];
      }),
    );
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

  /** The host's engine and files, found once per run. */
  private engine(host: string): Promise<HostEngine> {
    let pending = this.engines.get(host);
    if (pending === undefined) {
      const session = this.sessions.get(host)!;
      pending = (async () => {
        const found = tracePhase(`engine ${host}`);
        const [access, files] = await Promise.all([engineFor(session), session.files!()]);
        found.end(`${access.source}: ${access.client.where}`);
        return new HostEngine(host, access.client, files);
      })();
      this.engines.set(host, pending);
      pending.catch(() => this.engines.delete(host));
    }
    return pending;
  }

  /**
   * The lock directory on every host, made over SFTP (an exclusive mkdir); the engine found
   * meanwhile. Refuses naming the holder, with nothing changed and nothing left behind.
   */
  async lock(desired: readonly DesiredServer[], opts: LockOptions): Promise<HeldLock> {
    const phase = tracePhase('lock');
    const hosts = this.hosts(desired);
    const details: LockDetails = { lockedBy: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command: opts.command };
    const dirOf = (h: string) => ensembleLockDir(this.stateDir(h), this.ensemble.name);
    const settled = await Promise.allSettled(
      hosts.map(async (h) => {
        // The engine is found (maybe with one exec) while the lock is taken.
        const engine = this.engine(h);
        engine.catch(() => undefined);
        if (opts.dryRun) {
          await engine;
          return { h, acquired: true, holder: undefined };
        }
        const files = await this.sessions.get(h)!.files!();
        const attempt = await acquireLockFiles(files, dirOf(h), details, { force: opts.forceUnlock });
        if (attempt.acquired) {
          // Asked now, waited for only by a preflight (an apply that changes nothing has none).
          const uid = files.stat(`${dirOf(h)}/lock`).then((st) => st?.uid, () => undefined);
          this.loginUid.set(h, uid);
          // Found after the lock: a host whose engine cannot be found still releases it.
          await engine.catch(async (err: unknown) => {
            await releaseOwnLockFiles(files, dirOf(h), details).catch(() => undefined);
            throw err;
          });
        }
        return { h, acquired: attempt.acquired, holder: attempt.acquired ? undefined : attempt.holder };
      }),
    );
    const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const release = async () => {
      if (opts.dryRun) return;
      await Promise.allSettled(done.filter((x) => x.acquired).map(async (x) => releaseOwnLockFiles(await this.sessions.get(x.h)!.files!(), dirOf(x.h), details)));
    };
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${hosts[i]}: ${(s.reason as Error).message}`] : []));
    const refused = done.filter((x) => !x.acquired);
    phase.end(`${hosts.length} host(s)`);
    if (failures.length > 0 || refused.length > 0) {
      await release();
      const reasons = refused.map(({ h, holder }) => lockedBy(h, this.ensemble.name, holder));
      if (refused.length === 0) throw new OperationalError(`${failures.join('\n')}\nnothing was changed`);
      throw new OperationalError(`${[...reasons, ...failures].join('\n')}\nnothing was changed; if no zkplan is running, retry with --force-unlock`);
    }
    return { release };
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    const phase = tracePhase('observe');
    const found = await Promise.all(
      this.hosts(desired).map(async (h) => {
        const [observed, proven] = await Promise.all([(await this.engine(h)).observe(this.mine(desired, h)), this.provenCertificates(desired.filter((d) => d.host === h))]);
        for (const [id, certificate] of proven) {
          const o = observed.get(id);
          if (o?.exists) o.certificate = certificate;
        }
        return observed;
      }),
    );
    phase.end();
    return new Map(found.flatMap((m) => [...m]));
  }

  /** The certificate each server was last proven to present (its marker file, by SFTP), for servers that reload them. */
  private async provenCertificates(desired: readonly DesiredServer[]): Promise<Map<number, string>> {
    const reloading = desired.filter((d) => d.certificate !== undefined);
    const read = await Promise.all(reloading.map(async (d) => [d.serverId, (await this.sessions.get(d.host)!.readFile(this.certificateMarker(d)))?.toString().trim()] as const));
    return new Map(read.filter((r): r is readonly [number, string] => r[1] !== undefined && r[1] !== ''));
  }

  private certificateMarker(d: DesiredServer): string {
    return `${secretsDirPath(this.stateDir(d.host), this.ensemble.name, d.name)}/${CERTIFICATE_MARKER}`;
  }

  /** What runs now for every server, outside the deploy lock (apply reads the security steps from it). */
  async observeAll(): Promise<ObservedServer[]> {
    return [...(await this.observe(this.desired())).values()].filter((o) => o.exists);
  }

  async preflight(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, opts: { dryRun: boolean }): Promise<HostPreflight[]> {
    const phase = tracePhase('preflight');
    const out = await mapLimit(this.hosts(desired), this.concurrency, async (h) => {
      const session = this.sessions.get(h)!;
      const found = await gatherPreflight(session, await this.engine(h), this.ensemble, this.mine(desired, h), await this.loginUid.get(h));
      return judgePreflight(session, this.ensemble, this.mine(desired, h), observed, found, { pull: !opts.dryRun }, this.coTenants);
    });
    phase.end();
    return out;
  }

  /** Each server's client port on its host's address, reached through that host's SSH connection. */
  members(_desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Member[] {
    return this.ensemble.servers.map((s) => ({ id: s.id, role: s.role, address: s.host.address, port: servingPort(observed.get(s.id), s.ports.client) }));
  }

  /**
   * Each host keeps a record of what is deployed on it (src/rollout/record.ts): env files and the
   * run.sh that re-creates its servers as apply does. Pushed just before servers of that host are
   * (re)created; a host the rollout did not reach keeps its record as it was.
   */
  async prepare(servers: readonly DesiredServer[], desired: readonly DesiredServer[]): Promise<void> {
    const phase = tracePhase('record');
    await mapLimit(this.hosts(servers), this.concurrency, async (host) => {
      await this.sessions.get(host)!.putFiles(hostRecord(this.ensemble.name, host, this.stateDir(host), desired.filter((d) => d.host === host)));
      if (this.material && this.ensemble.security) await this.pushSecrets(host, servers.filter((d) => d.host === host));
    });
    phase.end(`${this.hosts(servers).length} host(s)`);
  }

  /**
   * The servers' key material and secrets, by SFTP (never a command line), into root-only
   * directories. A server the plan no longer has (it leaves later in a membership change) keeps
   * the files it was given.
   */
  private async pushSecrets(host: string, given: readonly DesiredServer[], opts: { marker: boolean } = { marker: true }): Promise<void> {
    const servers = given.filter((d) => this.material!.servers.has(d.name));
    if (servers.length === 0) return;
    const stateDir = this.stateDir(host);
    const dirs = servers.map((d) => secretsDirPath(stateDir, this.ensemble.name, d.name));
    const files = servers.flatMap((d, i) => this.material!.servers.get(d.name)!.files.map((f) => ({ path: `${dirs[i]}/${f.name}`, content: f.content, mode: 0o600 })));
    // A server (re)started now reads its certificate at start: it presents it from then on (a
    // membership change's step servers included, which carry no `certificate` of their own).
    const markers = opts.marker && this.reloads ? servers.flatMap((d) => this.markerFile(d) ?? []) : [];
    await this.sessions.get(host)!.putFiles([...files, ...markers]);
    await runChecked(this.sessions.get(host)!, privateSecrets(secretsRootPath(stateDir, this.ensemble.name), dirs, secretsOwner(this.ensemble.profile)));
  }

  private markerFile(d: DesiredServer): { path: string; content: Buffer; mode: number } | undefined {
    const certificate = this.material?.servers.get(d.name)?.certificate;
    return certificate === undefined ? undefined : { path: this.certificateMarker(d), content: Buffer.from(`${certificate}\n`), mode: 0o600 };
  }

  /**
   * The renewed files go where the running server reads them (ZooKeeper watches them:
   * sslQuorumReloadCertFiles); its election port is then asked, through the host's SSH
   * connection and with the server's own key and certificate, which certificate it presents,
   * until it is the new one. Only then is the marker written.
   */
  async reloadCertificate(d: DesiredServer, timeoutMs: number): Promise<void> {
    const material = this.material!.servers.get(d.name)!;
    const own = material.files.find((f) => f.name === SECRET_FILES.keyStore)!.content;
    const ca = material.files.find((f) => f.name === SECRET_FILES.trustStore)!.content;
    const server = this.ensemble.servers.find((s) => s.id === d.serverId)!;
    const wanted = new X509Certificate(own).raw;
    await this.pushSecrets(d.host, [d], { marker: false });
    // The election port listens on the host's address (not loopback), and the quorum checks a
    // client certificate against the address it connects from: this server's own, from its host.
    const fromHost = (address: string, port: number) => this.sessions.get(d.host)!.dial(address, port);
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      const presented = await presentedCertificate(fromHost, server.host.address, server.ports.election, { key: own, cert: own, ca }).catch((e: Error) => {
        last = e.message;
        return undefined;
      });
      if (presented?.equals(wanted)) break;
      if (presented) last = 'it still presents its previous certificate';
      if (Date.now() >= deadline) throw new OperationalError(`${d.name} did not take its new certificate on ${server.host.address}:${server.ports.election} within ${Math.round(timeoutMs / 1000)} s (${last}); its files are in place, a restart would load them`);
      await sleep(250);
    }
    await this.sessions.get(d.host)!.putFiles([this.markerFile(d)!]);
  }

  // Through the engine's API, the same container the pushed run.sh line makes (see
  // containerCreateBody); a create finds no container to remove.
  async create(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  async replace(d: DesiredServer): Promise<void> {
    await this.recreate(d);
  }

  // The spec given, not the plan's: a membership change runs a server (one the plan no longer
  // has too) with a step's membership.
  private async recreate(d: DesiredServer): Promise<void> {
    const phase = tracePhase(`create ${d.name}`);
    await (await this.engine(d.host)).recreate(d.spec);
    phase.end(d.host);
  }

  async start(d: DesiredServer): Promise<void> {
    await (await this.engine(d.host)).start(d.name);
  }

  async remove(d: DesiredServer): Promise<void> {
    await (await this.engine(d.host)).remove(d.name);
  }

  /** Every connected host is searched (a host the plan no longer uses included, when it answered at connect). */
  async formerServers(desired: readonly DesiredServer[]): Promise<FormerServer[]> {
    const planned = new Set(desired.map((d) => d.serverId));
    const client = this.ensemble.servers[0]?.ports.client;
    const listed = await Promise.all(
      [...this.sessions.keys()].map(async (h) => ({ h, servers: await (await this.engine(h)).serversWithLabel(LABEL_ENSEMBLE, this.ensemble.name) })),
    );
    return listed.flatMap(({ h, servers }) =>
      servers.flatMap(({ name, serverId, running }) => {
        if (!name || !Number.isInteger(serverId) || serverId < 1 || planned.has(serverId)) return [];
        const address = this.sessions.get(h)!.host.address;
        return [{ serverId, host: h, name, running, ...(client !== undefined ? { member: { id: serverId, role: 'participant' as const, address, port: client } } : {}) }];
      }),
    );
  }

  async restartFormer(f: FormerServer): Promise<void> {
    await (await this.engine(f.host)).restart(f.name);
  }

  async retire(f: FormerServer, suffix: string): Promise<string[]> {
    await (await this.engine(f.host)).remove(f.name);
    // Its key material goes with it: a retired server's key stays on no host.
    await runChecked(this.sessions.get(f.host)!, removePaths([envFilePath(this.stateDir(f.host), this.ensemble.name, f.name), secretsDirPath(this.stateDir(f.host), this.ensemble.name, f.name)]));
    return this.setAsideData(f.serverId, f.host, suffix);
  }

  async setAsideData(serverId: number, host: string, suffix: string): Promise<string[]> {
    const log = this.ensemble.settings.dataLogDir;
    const dirs = [serverDir(this.ensemble.dataDir, this.ensemble.name, serverId), ...(log !== undefined ? [serverDir(log, this.ensemble.name, serverId)] : [])];
    const r = await runChecked(this.sessions.get(host)!, movePathsAside(dirs, suffix));
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  async logsTail(d: DesiredServer, lines: number): Promise<string> {
    return (await this.engine(d.host)).logsTail(d.name, lines);
  }

  async unexpected(desired: readonly DesiredServer[]): Promise<string[]> {
    const expected = new Set(desired.map((d) => `${d.host}/${d.name}`));
    const listed = await Promise.all(this.hosts(desired).map(async (h) => ({ h, names: await (await this.engine(h)).namesWithLabel(LABEL_ENSEMBLE, this.ensemble.name) })));
    return listed.flatMap(({ h, names }) => names.filter((n) => !expected.has(`${h}/${n}`)).map((n) => `${h}/${n}`));
  }

  /**
   * The record goes with the containers. Each server's directory (<data_dir>/<ensemble>/<id>) is
   * zkplan's own: purging removes it whole, not just the mounted subdirectories, and the
   * ensemble directory once it is empty.
   */
  async teardown(desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void> {
    // One command line per host.
    await Promise.all(
      this.hosts(desired).map(async (h) => {
        const dataDirs = opts.purgeData ? this.ensemble.servers.filter((s) => s.host.name === h).map((s) => s.dataDir) : [];
        const logDirs = opts.purgeData ? this.ensemble.servers.filter((s) => s.host.name === h && s.dataLogDir !== undefined).map((s) => s.dataLogDir!) : [];
        const remove = removePaths([ensembleStateDir(this.stateDir(h), this.ensemble.name), ...dataDirs]);
        // Data a membership change moved aside (src/rollout/aside.ts) goes with a purge too.
        const parents = [...new Set([...dataDirs, ...logDirs].map(parentDir))];
        await runChecked(this.sessions.get(h)!, opts.purgeData ? allOf([remove, removeAsideDirectories(parents), removeEmptyDirectories(parents)]) : remove);
      }),
    );
  }

  /** The peer reachability matrix: which ports to try depends only on which server leads. */
  readonly reportFromLeader = true;

  async report(health: EnsembleHealth, changed: boolean): Promise<Partial<HostReport>> {
    return changed || !health.ok ? { reachability: await reachabilityMatrix(this.ensemble, this.sessions, health) } : {};
  }
}

function parentDir(p: string): string {
  return p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
}
