// A deployment target held in memory, for the engine's orchestration tests: a Driver whose
// containers are a Map, and a four-letter-word Dial that answers srvr/mntr/conf/ruok as the
// ZooKeeper servers in those containers would (a majority of running voters serves, one of them
// leads, a new leader is elected when the leader goes away). Faults are switches on the target.
import { Duplex } from 'node:stream';
import type { DesiredServer, Driver, HeldLock, HostChecks, ObservedServer, Progress, StepStatus } from '../../../src/engine/driver.js';
import type { EngineContext, Timing } from '../../../src/engine/engine.js';
import { configHash, withHashLabel, type ContainerSpec } from '../../../src/rollout/spec.js';
import { servingPort } from '../../../src/rollout/rollout.js';
import { DialError, type Dial } from '../../../src/verify/dial.js';
import type { ZnodeCheck, ZnodeTarget } from '../../../src/verify/znode.js';

export interface FakeContainer {
  configHash: string;
  running: boolean;
  status: string;
  restartCount: number;
  exitCode: number;
  /** where it runs (a Swarm task can run elsewhere than planned) */
  host: string;
  /** its environment, as `docker inspect` shows it */
  env: string[];
  foreign?: boolean;
  /** running, but its server does not answer (hung, or still starting) */
  silent?: boolean;
  /** the certificate it presents, for a server that reloads them */
  certificate?: string;
  /** the client port it listens on: the plan's when it was made */
  port: number;
}

export interface Faults {
  /** servers whose new container exits at once and keeps being restarted */
  neverStaysUp: Set<number>;
  /** the k-th change (create, start, replace) and everything after it fail as if zkplan were killed */
  killedAtChange?: number;
  /** after the k-th change, the leader hands over to another server (crash and re-election) */
  leaderChangesAfter?: number;
  /** preflight of these hosts fails */
  preflightFails: Set<string>;
  /** servers that never take a renewed certificate from their files */
  neverReloads?: Set<number>;
}

// Polls are tiny; timeouts are not, so a loaded machine cannot turn a slow answer into a fault.
export const TINY_TIMING: Timing = { pollMs: 1, probeTimeoutMs: 2000, requestTimeoutMs: 2000, settleRoundMs: 20 };

const clientPort = (id: number, shift = 0) => 2180 + id + shift;
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

export class FakeTarget implements Driver {
  readonly target = 'host';
  readonly containers = new Map<number, FakeContainer>();
  /** every call that changes something, in order: `create 1`, `replace 3`, `remove 2`, ... */
  readonly ops: string[] = [];
  /** serving voters when each replace began */
  readonly servingAtReplace: number[] = [];
  readonly faults: Faults = { neverStaysUp: new Set(), preflightFails: new Set() };
  lockHolder: string | undefined;
  leader: number | undefined;
  /** labelled containers the plan does not have (status) */
  strays: string[] = [];
  private changes = 0;
  private killed = false;
  /** the plan's client ports are 2181 + shift and up: a change of client port rolls out */
  clientPortShift = 0;
  /** probes may go out before observe() (the host and local drivers) */
  membersFixed?: boolean;

  constructor(readonly roles: ReadonlyMap<number, 'participant' | 'observer'>) {}

  // --- the ZooKeeper servers the containers run -------------------------------------------
  private up(id: number): boolean {
    const c = this.containers.get(id);
    return Boolean(c?.running && !c.silent && !c.foreign);
  }

  private voters(): number[] {
    return [...this.roles].filter(([, r]) => r === 'participant').map(([id]) => id);
  }

  private serving(): boolean {
    const voters = this.voters();
    return voters.filter((id) => this.up(id)).length > voters.length / 2;
  }

  servingVoters(): number {
    return this.serving() ? this.voters().filter((id) => this.up(id)).length : 0;
  }

  /** The mode a server reports, electing a leader when there is none: ZooKeeper picks the highest id among equals. */
  modeOf(id: number): string | undefined {
    if (!this.up(id) || !this.serving()) return undefined;
    if (this.leader === undefined || !this.up(this.leader)) this.leader = Math.max(...this.voters().filter((v) => this.up(v)));
    if (this.roles.get(id) === 'observer') return 'observer';
    return id === this.leader ? 'leader' : 'follower';
  }

  /** every four-letter word asked, as `<server id> <word>`, in order */
  readonly words: string[] = [];
  /** how many times observe() was called */
  observations = 0;

  private answer(id: number, word: string): string {
    this.words.push(`${id} ${word}`);
    const mode = this.modeOf(id);
    if (word === 'ruok') return 'imok';
    if (mode === undefined) return NOT_SERVING;
    if (word === 'srvr') return srvrText(mode);
    if (word === 'conf') {
      const port = (s: number) => this.containers.get(s)?.port ?? clientPort(s, this.clientPortShift);
      return [`serverId=${id}`, `clientPort=${port(id)}`, ...[...this.roles].map(([s, r]) => `server.${s}=h${s}:2888:3888:${r};0.0.0.0:${port(s)}`), ''].join('\n');
    }
    if (word === 'mntr') {
      const upVoters = this.voters().filter((v) => this.up(v)).length;
      const upObservers = [...this.roles].filter(([s, r]) => r === 'observer' && this.up(s)).length;
      const lines = [['zk_version', '3.8.4-fake'], ['zk_server_state', mode]];
      if (mode === 'leader') lines.push(['zk_synced_followers', String(upVoters - 1)], ['zk_synced_non_voting_followers', '0'], ['zk_synced_observers', String(upObservers)]);
      return lines.map(([k, v]) => `${k}\t${v}\n`).join('');
    }
    return '';
  }

  /** One Duplex per connection, answering the word written to it, like a server's four-letter-word port. */
  readonly dial: Dial = async (address, port) => {
    const id = [...this.roles.keys()].find((s) => this.containers.get(s)?.port === port && this.containers.get(s)?.host === address);
    const c = id === undefined ? undefined : this.containers.get(id);
    if (id === undefined || !c?.running || c.host !== address) throw new DialError(address, port, 'connection refused (nothing listening?) [ECONNREFUSED]');
    if (c.silent) {
      // closes without an answer: as unknown as a hung server, without waiting for a timeout
      return new Duplex({
        read() {},
        write(_chunk, _enc, cb) {
          this.push(null);
          cb();
        },
      });
    }
    return answering((word) => this.answer(id, word));
  };

  /** The verification's znode round trip, answered from the same model. */
  readonly znodeCheck = async (servers: readonly ZnodeTarget[]): Promise<ZnodeCheck> => {
    return znodeRoundTrip(servers, this.serving() && servers.every((s) => this.up(s.id)));
  };

  // --- the Driver ---------------------------------------------------------------------------
  async lock(_desired: readonly DesiredServer[], opts: { dryRun: boolean; forceUnlock: boolean; command: string }): Promise<HeldLock> {
    if (opts.dryRun) return { release: async () => {} };
    if (this.lockHolder !== undefined && !opts.forceUnlock) throw new Error(`locked by ${this.lockHolder}; nothing was changed; if no zkplan is running, retry with --force-unlock`);
    this.lockHolder = opts.command;
    this.killed = false;
    this.changes = 0;
    return {
      // A killed zkplan never releases: the lock stays until --force-unlock.
      release: async () => {
        if (!this.killed) this.lockHolder = undefined;
      },
    };
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    this.observations++;
    const observed = new Map<number, ObservedServer>();
    for (const d of desired) {
      const c = this.containers.get(d.serverId);
      if (c && this.faults.neverStaysUp.has(d.serverId) && !c.running) c.restartCount += 1;
      observed.set(
        d.serverId,
        c
          ? {
              exists: true,
              running: c.running,
              status: c.status,
              restartCount: c.restartCount,
              exitCode: c.exitCode,
              configHash: c.configHash,
              image: d.spec.image,
              env: c.env,
              runningOn: c.host,
              clientPort: c.port,
              ...(c.foreign ? { foreign: true } : {}),
              ...(c.certificate !== undefined ? { certificate: c.certificate } : {}),
            }
          : { exists: false, running: false },
      );
    }
    return observed;
  }

  async preflight(desired: readonly DesiredServer[]): Promise<HostChecks[]> {
    return [...new Set(desired.map((d) => d.host))].map((host) => {
      const ok = !this.faults.preflightFails.has(host);
      return { host, ok, checks: [{ name: 'docker', ok, detail: ok ? 'Docker 27.0' : 'Docker is not reachable' }] };
    });
  }

  members(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>) {
    return desired.map((d) => ({ id: d.serverId, role: d.role, address: observed.get(d.serverId)?.runningOn ?? d.host, port: servingPort(observed.get(d.serverId), clientPort(d.serverId, this.clientPortShift)) }));
  }

  async prepare(servers: readonly DesiredServer[]): Promise<void> {
    this.ops.push(`prepare ${servers.map((s) => s.serverId).join(',')}`);
  }

  private change(op: string, d: DesiredServer): void {
    this.changes += 1;
    if (this.faults.killedAtChange !== undefined && this.changes >= this.faults.killedAtChange) {
      this.killed = true;
      throw new Error('zkplan was killed');
    }
    this.ops.push(`${op} ${d.serverId}`);
    const crashes = this.faults.neverStaysUp.has(d.serverId);
    if (op === 'start') {
      const c = this.containers.get(d.serverId)!;
      Object.assign(c, { running: true, status: 'running' });
    } else {
      if (this.leader === d.serverId) this.leader = undefined;
      this.containers.set(d.serverId, {
        configHash: d.configHash,
        host: d.host,
        running: !crashes,
        status: crashes ? 'restarting' : 'running',
        restartCount: 0,
        exitCode: crashes ? 1 : 0,
        env: envOf(d),
        port: clientPort(d.serverId, this.clientPortShift),
        ...(d.certificate !== undefined ? { certificate: d.certificate } : {}),
      });
    }
    if (this.faults.leaderChangesAfter === this.changes) this.handOver();
  }

  /** The leader crashes and comes back as a follower: another serving voter leads. */
  handOver(): void {
    const others = this.voters().filter((v) => v !== this.leader && this.up(v));
    this.leader = Math.max(...others);
  }

  async create(d: DesiredServer): Promise<void> {
    this.change('create', d);
  }

  async replace(d: DesiredServer): Promise<void> {
    this.servingAtReplace.push(this.servingVoters());
    this.change('replace', d);
  }

  async start(d: DesiredServer): Promise<void> {
    this.change('start', d);
  }

  async reloadCertificate(d: DesiredServer, timeoutMs: number): Promise<void> {
    this.ops.push(`reload ${d.serverId}`);
    if (this.faults.neverReloads?.has(d.serverId)) throw new Error(`${d.name} did not take its new certificate within ${timeoutMs / 1000} s`);
    this.containers.get(d.serverId)!.certificate = d.certificate;
  }

  async remove(d: DesiredServer): Promise<void> {
    this.ops.push(`remove ${d.serverId}`);
    this.containers.delete(d.serverId);
    if (this.leader === d.serverId) this.leader = undefined;
  }

  async logsTail(d: DesiredServer): Promise<string> {
    return this.faults.neverStaysUp.has(d.serverId) ? 'ERROR Unable to load database on disk\njava.io.IOException: No snapshot found' : '';
  }

  async unexpected(): Promise<string[]> {
    return this.strays;
  }

  /** Changes nothing that runs (like a Swarm with no stale service). */
  async finish(): Promise<boolean> {
    this.ops.push('finish');
    return false;
  }

  async teardown(_desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void> {
    this.ops.push(`teardown${opts.purgeData ? ' purge' : ''}`);
  }

  // --- setting the scene --------------------------------------------------------------------
  /** A running container for each server, with the configuration of `desired` (or another). */
  run(desired: readonly DesiredServer[], hash?: (d: DesiredServer) => string): void {
    for (const d of desired) {
      const certificate = d.certificate !== undefined ? { certificate: d.certificate } : {};
      this.containers.set(d.serverId, { configHash: hash ? hash(d) : d.configHash, host: d.host, running: true, status: 'running', restartCount: 0, exitCode: 0, env: envOf(d), port: clientPort(d.serverId, this.clientPortShift), ...certificate });
    }
  }

  /** Only the changes (create, start, replace), as `kind id`. */
  changesMade(): string[] {
    return this.ops.filter((o) => /^(create|start|replace) /.test(o));
  }
}

/** A client-port connection that answers the four-letter word written to it, then closes. */
export function answering(answer: (word: string) => string): Duplex {
  return new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      this.push(answer(chunk.toString('utf8')));
      this.push(null);
      cb();
    },
  });
}

export function srvrText(mode: string): string {
  return ['Zookeeper version: 3.8.4-fake', 'Latency min/avg/max: 0/0.5/1', 'Received: 1', 'Sent: 1', 'Connections: 1', 'Outstanding: 0', 'Zxid: 0x100000003', `Mode: ${mode}`, 'Node count: 5', ''].join('\n');
}

/** The verification's znode write and read-back, as it ends when `ok` (every server serves) or not. */
export function znodeRoundTrip(servers: readonly ZnodeTarget[], ok: boolean): ZnodeCheck {
  return { ok, path: '/zkplan/verify', token: 'fake', writtenVia: ok ? servers[0]!.id : null, writeErrors: ok ? [] : [{ id: servers[0]!.id, error: 'not serving' }], readVia: servers.slice(1).map((s) => ({ id: s.id, ok })) };
}

const envOf = (d: DesiredServer) => d.spec.env.map(([k, v]) => `${k}=${v}`);

/** `n` voters then `observers` observers, zk<i> on host h<i>, with one setting that can change. */
export function desiredServers(n: number, observers = 0, heap = '512m'): DesiredServer[] {
  return Array.from({ length: n + observers }, (_, i) => {
    const id = i + 1;
    const spec: ContainerSpec = {
      name: `zk${id}`,
      image: 'zookeeper:3.8.4',
      env: [
        ['ZOO_MY_ID', String(id)],
        ['JVMFLAGS', `-Xmx${heap}`],
      ],
      labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': String(id) },
      mounts: [],
      ports: [],
      network: { kind: 'host' },
      restart: 'always',
    };
    return { serverId: id, role: i < n ? 'participant' : 'observer', host: `h${id}`, name: `zk${id}`, spec: withHashLabel(spec), configHash: configHash(spec) };
  });
}

export interface Recorded extends Progress {
  lines: string[];
}

export function recordingProgress(): Recorded {
  const lines: string[] = [];
  return {
    lines,
    step: (host: string, step: string, status: StepStatus, detail?: string) => void lines.push(`${host} ${step} ${status}${detail ? ` ${detail}` : ''}`),
    note: (message: string) => void lines.push(message),
  };
}

export function contextFor(target: FakeTarget, desired: readonly DesiredServer[], progress: Progress = recordingProgress()): EngineContext {
  return { ensemble: 'zk', desired, driver: target, progress, timing: TINY_TIMING, znodeCheck: target.znodeCheck };
}

export function rolesOf(desired: readonly DesiredServer[]): Map<number, 'participant' | 'observer'> {
  return new Map(desired.map((d) => [d.serverId, d.role]));
}
