// A target held in memory whose servers each run with their own membership (the MEMBERS
// variable of their spec), for the engine's membership-change tests. A leader is elected among
// running voters whose membership gives them a majority of running servers that name them; a
// server the leader's membership lacks still follows it (a non-voting follower), as ZooKeeper's
// static method relies on; a server whose membership lacks the leader does not follow it.
// `conf` lists the server's own membership.
import type { DesiredServer, Driver, FormerServer, HeldLock, HostChecks, ObservedServer } from '../../../src/engine/driver.js';
import type { MembershipSupport } from '../../../src/engine/membership.js';
import type { MembershipMember } from '../../../src/rollout/membership.js';
import { configHash, withHashLabel, type ContainerSpec } from '../../../src/rollout/spec.js';
import { DialError, type Dial } from '../../../src/verify/dial.js';
import type { ZnodeCheck, ZnodeTarget } from '../../../src/verify/znode.js';
import { answering, srvrText, znodeRoundTrip } from './fake-target.js';

interface Server {
  members: number[];
  running: boolean;
  configHash: string;
  host: string;
}

const clientPort = (id: number) => 2180 + id;
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

export function memberSpec(id: number, members: readonly number[], host = `h${id}`): DesiredServer {
  const spec: ContainerSpec = {
    name: `zk${id}`,
    image: 'zookeeper:3.8.4',
    env: [
      ['ZOO_MY_ID', String(id)],
      ['MEMBERS', members.join(',')],
    ],
    labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': String(id) },
    mounts: [],
    ports: [],
    network: { kind: 'host' },
    restart: 'always',
  };
  return { serverId: id, role: 'participant', host, name: `zk${id}`, spec: withHashLabel(spec), configHash: configHash(spec) };
}

/** The planned servers `ids`, each naming exactly `ids`. */
export function plannedServers(ids: readonly number[]): DesiredServer[] {
  return ids.map((id) => memberSpec(id, ids));
}

/** `spec`: how a server of a step's membership is specified (reconfig ensembles hash it differently). */
export function fakeSupport(planned: readonly number[], clock: Date, spec: (id: number, members: readonly number[]) => DesiredServer = memberSpec): MembershipSupport {
  return {
    desiredFor: (members: readonly MembershipMember[], _reported, former) =>
      members
        .filter((m) => planned.includes(m.id) || former.some((f) => f.serverId === m.id))
        .map((m) =>
          spec(
            m.id,
            members.map((x) => x.id),
          ),
        ),
    now: () => clock,
  };
}

export class MembershipFake implements Driver {
  readonly target = 'host';
  readonly servers = new Map<number, Server>();
  readonly ops: string[] = [];
  /** servers whose container never comes up */
  readonly neverUp = new Set<number>();
  /** serving voters (by the leader's membership) when each replace began */
  readonly servingAtReplace: number[] = [];
  leader: number | undefined;
  /** restartFormer stops, calls whileDown, then starts (the local driver) instead of one restart */
  stopThenStart = false;

  /** `ids` running, each naming `ids`. */
  runWith(ids: readonly number[]): void {
    for (const d of plannedServers(ids)) this.servers.set(d.serverId, { members: [...ids], running: true, configHash: d.configHash, host: d.host });
  }

  private up(id: number): boolean {
    return Boolean(this.servers.get(id)?.running);
  }

  private electable(id: number): boolean {
    const s = this.servers.get(id);
    if (!s?.running || !s.members.includes(id)) return false;
    const backing = s.members.filter((m) => this.up(m) && this.servers.get(m)!.members.includes(id));
    return backing.length > s.members.length / 2;
  }

  currentLeader(): number | undefined {
    if (this.leader !== undefined && this.electable(this.leader)) return this.leader;
    const candidates = [...this.servers.keys()].filter((id) => this.electable(id));
    this.leader = candidates.length ? Math.max(...candidates) : undefined;
    return this.leader;
  }

  private modeOf(id: number): string | undefined {
    const leader = this.currentLeader();
    if (!this.up(id) || leader === undefined) return undefined;
    if (id === leader) return 'leader';
    // FastLeaderElection ignores votes for a leader its own membership lacks: it keeps looking.
    return this.servers.get(id)!.members.includes(leader) ? 'follower' : undefined;
  }

  protected answer(id: number, word: string): string {
    const mode = this.modeOf(id);
    if (word === 'ruok') return 'imok';
    if (mode === undefined) return NOT_SERVING;
    if (word === 'srvr') return srvrText(mode);
    const own = this.servers.get(id)!.members;
    if (word === 'conf') return [`serverId=${id}`, 'membership: ', ...own.map((s) => `server.${s}=h${s}:2888:3888:participant;0.0.0.0:${clientPort(s)}`), ''].join('\n');
    if (word === 'mntr') {
      const lines = [['zk_version', '3.8.4-fake'], ['zk_server_state', mode]];
      if (mode === 'leader') {
        const running = [...this.servers.keys()].filter((s) => this.up(s) && s !== id);
        const voting = running.filter((s) => own.includes(s)).length;
        lines.push(['zk_synced_followers', String(voting)], ['zk_synced_non_voting_followers', String(running.length - voting)], ['zk_synced_observers', '0'], ['zk_quorum_size', String(own.length)]);
      }
      return lines.map(([k, v]) => `${k}\t${v}\n`).join('');
    }
    return '';
  }

  readonly dial: Dial = async (address, port) => {
    const id = port - 2180;
    const s = this.servers.get(id);
    if (!s?.running || s.host !== address) throw new DialError(address, port, 'connection refused (nothing listening?) [ECONNREFUSED]');
    return answering((word) => this.answer(id, word));
  };

  readonly znodeCheck = async (servers: readonly ZnodeTarget[]): Promise<ZnodeCheck> => znodeRoundTrip(servers, this.currentLeader() !== undefined && servers.every((s) => this.up(s.id)));

  async lock(): Promise<HeldLock> {
    return { release: async () => {} };
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    return new Map(
      desired.map((d) => {
        const s = this.servers.get(d.serverId);
        return [d.serverId, s ? { exists: true, running: s.running, status: s.running ? 'running' : 'restarting', restartCount: s.running ? 0 : 3, exitCode: s.running ? 0 : 1, configHash: s.configHash, runningOn: s.host } : { exists: false, running: false }];
      }),
    );
  }

  async preflight(desired: readonly DesiredServer[]): Promise<HostChecks[]> {
    return [...new Set(desired.map((d) => d.host))].map((host) => ({ host, ok: true, checks: [] }));
  }

  members(desired: readonly DesiredServer[]) {
    return desired.map((d) => ({ id: d.serverId, role: d.role, address: d.host, port: clientPort(d.serverId) }));
  }

  async prepare(): Promise<void> {}

  private set(op: string, d: DesiredServer): void {
    this.ops.push(`${op} ${d.serverId} [${d.spec.env.find(([k]) => k === 'MEMBERS')![1]}]`);
    const members = d.spec.env.find(([k]) => k === 'MEMBERS')![1].split(',').map(Number);
    this.servers.set(d.serverId, { members, running: !this.neverUp.has(d.serverId), configHash: d.configHash, host: d.host });
  }

  async create(d: DesiredServer): Promise<void> {
    this.set('create', d);
  }

  async replace(d: DesiredServer): Promise<void> {
    const leader = this.currentLeader();
    const own = leader === undefined ? [] : this.servers.get(leader)!.members;
    this.servingAtReplace.push(own.filter((m) => this.up(m)).length);
    this.servers.get(d.serverId)!.running = false;
    this.set('replace', d);
  }

  async start(d: DesiredServer): Promise<void> {
    this.ops.push(`start ${d.serverId}`);
  }

  async remove(d: DesiredServer): Promise<void> {
    this.ops.push(`remove ${d.serverId}`);
    this.servers.delete(d.serverId);
  }

  async logsTail(): Promise<string> {
    return '';
  }

  async unexpected(): Promise<string[]> {
    return [];
  }

  async formerServers(desired: readonly DesiredServer[]): Promise<FormerServer[]> {
    const planned = new Set(desired.map((d) => d.serverId));
    return [...this.servers]
      .filter(([id]) => !planned.has(id))
      .map(([id, s]) => ({ serverId: id, host: s.host, name: `zk${id}`, running: s.running, member: { id, role: 'participant' as const, address: s.host, port: clientPort(id) } }));
  }

  async restartFormer(f: FormerServer, whileDown?: () => Promise<void>): Promise<void> {
    const s = this.servers.get(f.serverId)!;
    if (this.stopThenStart) {
      // as the local driver does: stopped, the engine waits, then started
      this.ops.push(`stop ${f.serverId}`);
      s.running = false;
      await whileDown?.();
      this.ops.push(`start ${f.serverId} (server.${this.leader} leads)`);
      s.running = true;
      return;
    }
    this.ops.push(`restart ${f.serverId}`);
    s.running = false;
    this.currentLeader(); // the others elect while it is down
    s.running = true;
  }

  async retire(f: FormerServer, suffix: string): Promise<string[]> {
    this.ops.push(`retire ${f.serverId}`);
    this.servers.delete(f.serverId);
    return [`/data/zk/${f.serverId}${suffix}`];
  }

  async setAsideData(serverId: number, _host: string, suffix: string): Promise<string[]> {
    this.ops.push(`aside ${serverId} ${suffix}`);
    return [];
  }
}
