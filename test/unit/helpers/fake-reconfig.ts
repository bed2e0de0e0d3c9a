// The in-memory membership target (fake-membership.ts) with dynamic reconfiguration: its client
// port also speaks the few jute packets zkplan sends (connect, digest auth, read
// /zookeeper/config, reconfig), and `conf` shows each server's configuration version. A
// committed reconfig changes every running server's membership at once (none restarts), except
// servers in `stale`, which never learn it. The container hash leaves the membership out, as
// server-specs.ts does for `reconfig: true`.
import { Duplex } from 'node:stream';
import type { DesiredServer } from '../../../src/engine/driver.js';
import type { MembershipSupport } from '../../../src/engine/membership.js';
import { configHash } from '../../../src/rollout/spec.js';
import { DialError, type Dial } from '../../../src/verify/dial.js';
import { AUTH_XID, FrameReader, OP, ZK_ERROR } from '../../../src/verify/jute.js';
import { answering } from './fake-target.js';
import { fakeSupport, MembershipFake, memberSpec } from './fake-membership.js';
import { connectResponse, framed } from './fake-zookeeper.js';

export const SUPER_PASSWORD = 'fake-super-password';
const clientPort = (id: number) => 2180 + id;
const line = (id: number) => `server.${id}=h${id}:2888:3888:participant;0.0.0.0:${clientPort(id)}`;

/** A server of a reconfig ensemble: its hash without the membership. */
export function reconfigSpec(id: number, members: readonly number[], host = `h${id}`): DesiredServer {
  const d = memberSpec(id, members, host);
  const hash = configHash({ ...d.spec, env: d.spec.env.filter(([k]) => k !== 'MEMBERS'), labels: {} });
  return { ...d, spec: { ...d.spec, labels: { ...d.spec.labels, 'io.zkplan.config-hash': hash } }, configHash: hash };
}

export function reconfigServers(ids: readonly number[]): DesiredServer[] {
  return ids.map((id) => reconfigSpec(id, ids));
}

export function reconfigSupport(planned: readonly number[], clock: Date, superPassword = SUPER_PASSWORD): MembershipSupport {
  return { ...fakeSupport(planned, clock, reconfigSpec), reconfig: { superPassword, serverLine: line } };
}

export class ReconfigFake extends MembershipFake {
  version = 0x100000000n;
  readonly versionOf = new Map<number, bigint>();
  /** servers that never learn a committed configuration */
  readonly stale = new Set<number>();
  /** answer the next reconfig with BadVersion (another change came first) */
  badVersionOnce = false;
  /** every reconfig request as it arrived: `+line`/`-id` and the version it was checked against */
  readonly requests: string[] = [];

  override runWith(ids: readonly number[]): void {
    super.runWith(ids);
    for (const d of reconfigServers(ids)) {
      this.servers.get(d.serverId)!.configHash = d.configHash;
      this.versionOf.set(d.serverId, this.version);
    }
  }

  protected override answer(id: number, word: string): string {
    const text = super.answer(id, word);
    if (word !== 'conf' || !text.includes('membership:')) return text;
    return `${text}version=${(this.versionOf.get(id) ?? this.version).toString(16)}\n`;
  }

  private configText(): string {
    const leader = this.currentLeader();
    const members = leader === undefined ? [] : this.servers.get(leader)!.members;
    return [...members.map(line), `version=${this.version.toString(16)}`].join('\n');
  }

  override readonly dial: Dial = async (address, port) => {
    const id = port - 2180;
    const s = this.servers.get(id);
    if (!s?.running || s.host !== address) throw new DialError(address, port, 'connection refused (nothing listening?) [ECONNREFUSED]');
    return this.stream(id);
  };

  private stream(id: number): Duplex {
    const words = answering((word) => this.answer(id, word));
    const reader = new FrameReader();
    let connected = false;
    let jute: boolean | undefined;
    const fake = this;
    return new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        jute ??= !/^[a-z]{4}$/.test(chunk.toString('latin1'));
        if (!jute) {
          words.once('data', (d: Buffer) => this.push(d));
          words.once('end', () => this.push(null));
          words.write(chunk);
          return cb();
        }
        for (const frame of reader.push(chunk)) {
          if (!connected) {
            connected = true;
            this.push(connectResponse(1n, 30000));
            continue;
          }
          this.push(fake.handle(frame));
        }
        cb();
      },
    });
  }

  private handle(frame: Buffer): Buffer {
    const xid = frame.readInt32BE(0);
    const type = frame.readInt32BE(4);
    let at = 8;
    const str = (): string | null => {
      const len = frame.readInt32BE(at);
      at += 4;
      if (len < 0) return null;
      const v = frame.subarray(at, at + len).toString('utf8');
      at += len;
      return v;
    };
    const reply = (err: number, data?: string) => {
      const header = Buffer.alloc(16);
      header.writeInt32BE(xid, 0);
      header.writeBigInt64BE(0x100000010n, 4);
      header.writeInt32BE(err, 12);
      if (data === undefined) return framed(header);
      const d = Buffer.from(data);
      const len = Buffer.alloc(4);
      len.writeInt32BE(d.length);
      return framed(Buffer.concat([header, len, d, Buffer.alloc(68)]));
    };
    if (type === OP.auth && xid === AUTH_XID) {
      at += 4; // auth type
      const scheme = str();
      const auth = str();
      return reply(scheme === 'digest' && auth === `super:${SUPER_PASSWORD}` ? ZK_ERROR.ok : ZK_ERROR.authFailed);
    }
    if (type === OP.getData) return reply(ZK_ERROR.ok, this.configText());
    if (type === OP.reconfig) {
      const joining = str();
      const leaving = str();
      str();
      const from = frame.readBigInt64BE(at);
      this.requests.push(`${joining ? `+${joining}` : ''}${leaving ? `-${leaving}` : ''} -v ${from.toString(16)}`);
      if (this.badVersionOnce) {
        this.badVersionOnce = false;
        this.version += 1n; // someone else's change came first
        return reply(ZK_ERROR.badVersion);
      }
      if (from !== this.version) return reply(ZK_ERROR.badVersion);
      const leader = this.currentLeader()!;
      let members = [...this.servers.get(leader)!.members];
      if (joining) members = [...new Set([...members, Number(/^server\.(\d+)=/.exec(joining)![1])])].sort((a, b) => a - b);
      if (leaving) members = members.filter((m) => !leaving.split(',').map(Number).includes(m));
      this.version += 1n;
      for (const [id, s] of this.servers) {
        if (!s.running || this.stale.has(id)) continue;
        s.members = [...members];
        this.versionOf.set(id, this.version);
      }
      return reply(ZK_ERROR.ok, this.configText());
    }
    return reply(-6);
  }
}
