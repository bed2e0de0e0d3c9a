// An in-memory ZooKeeper client port for zkplan's own client (src/verify/zk-connection.ts): each
// dial is a new connection to one shared znode tree. It answers connect, create, delete,
// getChildren, getData, sync, ping and closeSession in jute, logs every request per server, and
// can hold back replies (to prove requests are sent together) or drop a connection.
import { Duplex } from 'node:stream';
import type { Dial } from '../../../src/verify/dial.js';
import { FrameReader, OP, PING_XID, ZK_ERROR } from '../../../src/verify/jute.js';

export function framed(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A ConnectResponse: session 0 (and timeout 0) is a server that refuses the session. */
export function connectResponse(session: bigint, timeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 4 + 8 + 4 + 16);
  body.writeInt32BE(session === 0n ? 0 : timeoutMs, 4);
  body.writeBigInt64BE(session, 8);
  body.writeInt32BE(16, 16);
  return framed(body);
}

function ustring(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export class FakeZooKeeper {
  /** path → data; the root exists */
  readonly tree = new Map<string, Buffer>([['/', Buffer.alloc(0)]]);
  /** path of each ephemeral znode → the session that owns it */
  readonly ephemeralOwner = new Map<string, bigint>();
  /** `<address> <op>` of every request, in arrival order */
  readonly log: string[] = [];
  /** the negotiated session timeout */
  sessionTimeoutMs = 30_000;
  /** addresses that answer the connect with no session (a server that does not serve) */
  readonly notServing = new Set<string>();
  /** addresses that close the connection on the first packet */
  readonly hangUp = new Set<string>();
  /** addresses that never answer */
  readonly silent = new Set<string>();
  /** when set, replies wait until release() */
  holdReplies = false;
  private held: (() => void)[] = [];
  private nextSession = 1n;
  readonly streams: Duplex[] = [];

  release(): void {
    this.holdReplies = false;
    for (const send of this.held.splice(0)) send();
  }

  readonly dial: Dial = async (address) => {
    const reader = new FrameReader();
    let session: bigint | undefined;
    const fake = this;
    const stream: Duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (fake.hangUp.has(address)) {
          stream.destroy();
          return cb();
        }
        for (const frame of reader.push(chunk)) {
          if (fake.silent.has(address)) continue;
          if (session === undefined) {
            fake.log.push(`${address} connect`);
            session = fake.notServing.has(address) ? 0n : fake.nextSession++;
            stream.push(connectResponse(session, fake.sessionTimeoutMs));
            continue;
          }
          const reply = fake.handle(address, session, frame);
          if (reply === undefined) continue;
          const send = () => stream.push(reply);
          if (fake.holdReplies) fake.held.push(send);
          else send();
        }
        cb();
      },
    });
    fake.streams.push(stream);
    return stream;
  };

  private handle(address: string, session: bigint, frame: Buffer): Buffer | undefined {
    const xid = frame.readInt32BE(0);
    const type = frame.readInt32BE(4);
    let at = 8;
    const str = (): string => {
      const len = frame.readInt32BE(at);
      const v = frame.subarray(at + 4, at + 4 + Math.max(len, 0)).toString('utf8');
      at += 4 + Math.max(len, 0);
      return v;
    };
    const reply = (err: number, body: Buffer = Buffer.alloc(0)): Buffer => {
      const header = Buffer.alloc(16);
      header.writeInt32BE(xid, 0);
      header.writeBigInt64BE(0x100000001n, 4);
      header.writeInt32BE(err, 12);
      return framed(Buffer.concat([header, err === ZK_ERROR.ok ? body : Buffer.alloc(0)]));
    };
    if (xid === PING_XID && type === OP.ping) {
      this.log.push(`${address} ping`);
      return reply(ZK_ERROR.ok);
    }
    const parent = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
    const children = (p: string) => [...this.tree.keys()].filter((k) => k !== '/' && k !== p && parent(k) === p).map((k) => k.slice(k.lastIndexOf('/') + 1));
    switch (type) {
      case OP.create: {
        const path = str();
        const dataLen = frame.readInt32BE(at);
        const data = Buffer.from(frame.subarray(at + 4, at + 4 + dataLen));
        const flags = frame.readInt32BE(frame.length - 4);
        this.log.push(`${address} create ${path}${flags === 1 ? ' ephemeral' : ''}`);
        if (this.tree.has(path)) return reply(ZK_ERROR.nodeExists);
        if (!this.tree.has(parent(path))) return reply(ZK_ERROR.noNode);
        this.tree.set(path, data);
        if (flags === 1) this.ephemeralOwner.set(path, session);
        return reply(ZK_ERROR.ok, ustring(path));
      }
      case OP.delete: {
        const path = str();
        this.log.push(`${address} delete ${path}`);
        if (!this.tree.has(path)) return reply(ZK_ERROR.noNode);
        if (children(path).length > 0) return reply(-111);
        this.tree.delete(path);
        this.ephemeralOwner.delete(path);
        return reply(ZK_ERROR.ok);
      }
      case OP.getChildren: {
        const path = str();
        this.log.push(`${address} getChildren ${path}`);
        if (!this.tree.has(path)) return reply(ZK_ERROR.noNode);
        const names = children(path);
        const count = Buffer.alloc(4);
        count.writeInt32BE(names.length);
        return reply(ZK_ERROR.ok, Buffer.concat([count, ...names.map(ustring)]));
      }
      case OP.getData: {
        const path = str();
        this.log.push(`${address} getData ${path}`);
        const data = this.tree.get(path);
        if (data === undefined) return reply(ZK_ERROR.noNode);
        const len = Buffer.alloc(4);
        len.writeInt32BE(data.length);
        return reply(ZK_ERROR.ok, Buffer.concat([len, data, Buffer.alloc(68)]));
      }
      case OP.sync: {
        const path = str();
        this.log.push(`${address} sync ${path}`);
        return reply(ZK_ERROR.ok, ustring(path));
      }
      case OP.closeSession: {
        this.log.push(`${address} closeSession`);
        for (const [path, owner] of this.ephemeralOwner) {
          if (owner !== session) continue;
          this.tree.delete(path);
          this.ephemeralOwner.delete(path);
        }
        return reply(ZK_ERROR.ok);
      }
      default:
        this.log.push(`${address} op ${type}`);
        return reply(-6);
    }
  }
}
