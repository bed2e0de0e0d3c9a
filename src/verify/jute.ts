// The ZooKeeper client-protocol packets zkplan speaks (jute encoding, big-endian, each packet
// framed by its length): connect, authenticate, create, delete, list, read and sync a znode, ping,
// close the session, reconfig. They go over the same Dial as every check (SSH tunnel, TLS). Pure:
// bytes in, bytes out.

/** OpCode values of ZooDefs.OpCode. */
export const OP = { create: 1, delete: 2, getData: 4, getChildren: 8, sync: 9, ping: 11, reconfig: 16, auth: 100, closeSession: -11 } as const;
/** The xids ZooKeeper reserves: watch notifications, pings, authentication packets. */
export const NOTIFICATION_XID = -1;
export const PING_XID = -2;
export const AUTH_XID = -4;

/** KeeperException codes zkplan tells apart. */
export const ZK_ERROR = {
  ok: 0,
  newConfigNoQuorum: -13,
  reconfigInProgress: -14,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  nodeExists: -110,
  authFailed: -115,
  reconfigDisabled: -123,
} as const;

const ERROR_NAMES: Record<number, string> = {
  [-4]: 'ConnectionLoss',
  [-6]: 'Unimplemented',
  [-8]: 'BadArguments',
  [-13]: 'NewConfigNoQuorum',
  [-14]: 'ReconfigInProgress',
  [-101]: 'NoNode',
  [-102]: 'NoAuth',
  [-103]: 'BadVersion',
  [-110]: 'NodeExists',
  [-111]: 'NotEmpty',
  [-112]: 'SessionExpired',
  [-115]: 'AuthFailed',
  [-123]: 'ReconfigDisabled',
};

export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `error ${code}`;
}

/** Builds one jute record. */
class Writer {
  private readonly parts: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  long(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  bool(v: boolean): this {
    this.parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }
  /** a buffer or ustring: its length, then its bytes; null is length -1 */
  bytes(v: Buffer | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.parts.push(v);
    return this;
  }
  string(v: string | null): this {
    return this.bytes(v === null ? null : Buffer.from(v, 'utf8'));
  }
  /** the record with its length in front, as it goes on the wire */
  framed(): Buffer {
    const body = Buffer.concat(this.parts);
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

/** ConnectRequest of a new session: protocol 0, no zxid seen, no session id, an empty password, not read-only. */
export function connectRequest(sessionTimeoutMs: number): Buffer {
  return new Writer().int(0).long(0n).int(sessionTimeoutMs).long(0n).bytes(Buffer.alloc(16)).bool(false).framed();
}

/** AuthPacket of the digest scheme: `user:password` travels in the request body only. */
export function digestAuthRequest(user: string, password: string): Buffer {
  return new Writer().int(AUTH_XID).int(OP.auth).int(0).string('digest').string(`${user}:${password}`).framed();
}

export function getDataRequest(xid: number, path: string): Buffer {
  return new Writer().int(xid).int(OP.getData).string(path).bool(false).framed();
}

/** CreateRequest open to the world (ZooDefs.Ids.OPEN_ACL_UNSAFE: all permissions, world:anyone), persistent or ephemeral. */
export function createRequest(xid: number, path: string, data: Buffer, mode: 'persistent' | 'ephemeral'): Buffer {
  const ALL_PERMS = 31;
  return new Writer().int(xid).int(OP.create).string(path).bytes(data).int(1).int(ALL_PERMS).string('world').string('anyone').int(mode === 'ephemeral' ? 1 : 0).framed();
}

/** DeleteRequest of any version (-1). */
export function deleteRequest(xid: number, path: string): Buffer {
  return new Writer().int(xid).int(OP.delete).string(path).int(-1).framed();
}

export function getChildrenRequest(xid: number, path: string): Buffer {
  return new Writer().int(xid).int(OP.getChildren).string(path).bool(false).framed();
}

/** SyncRequest: answered once the server has caught up with the leader as of the request. */
export function syncRequest(xid: number, path: string): Buffer {
  return new Writer().int(xid).int(OP.sync).string(path).framed();
}

export function pingRequest(): Buffer {
  return new Writer().int(PING_XID).int(OP.ping).framed();
}

export function closeSessionRequest(xid: number): Buffer {
  return new Writer().int(xid).int(OP.closeSession).framed();
}

export interface ReconfigChange {
  /** `server.N=…` lines of servers that join (comma-separated in the request) */
  joining?: string[];
  /** ids of servers that leave */
  leaving?: number[];
}

/** ReconfigRequest (incremental): joining and leaving, no new member list; `-1` skips the version check. */
export function reconfigRequest(xid: number, change: ReconfigChange, fromConfig: bigint): Buffer {
  const joining = change.joining && change.joining.length > 0 ? change.joining.join(',') : null;
  const leaving = change.leaving && change.leaving.length > 0 ? change.leaving.join(',') : null;
  return new Writer().int(xid).int(OP.reconfig).string(joining).string(leaving).string(null).long(fromConfig).framed();
}

/** Reads length-framed packets out of a byte stream. */
export class FrameReader {
  private buffered = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const len = this.buffered.readInt32BE(0);
      if (len < 0 || len > 16 * 1024 * 1024) throw new Error(`bad packet length ${len}`);
      if (this.buffered.length < 4 + len) break;
      frames.push(this.buffered.subarray(4, 4 + len));
      this.buffered = this.buffered.subarray(4 + len);
    }
    return frames;
  }
}

export interface ConnectResponse {
  timeoutMs: number;
  sessionId: bigint;
}

export function parseConnectResponse(frame: Buffer): ConnectResponse {
  if (frame.length < 16) throw new Error(`connect response of ${frame.length} bytes`);
  const sessionId = frame.readBigInt64BE(8);
  // A server that refuses the session (it does not serve) answers with session id 0 and timeout 0.
  return { timeoutMs: frame.readInt32BE(4), sessionId };
}

export interface Reply {
  xid: number;
  zxid: bigint;
  err: number;
  body: Buffer;
}

export function parseReply(frame: Buffer): Reply {
  if (frame.length < 16) throw new Error(`reply of ${frame.length} bytes`);
  return { xid: frame.readInt32BE(0), zxid: frame.readBigInt64BE(4), err: frame.readInt32BE(12), body: frame.subarray(16) };
}

/** The data of a GetDataResponse (also what `reconfig` answers: the new configuration). */
export function replyData(body: Buffer): Buffer {
  const len = body.readInt32BE(0);
  return len < 0 ? Buffer.alloc(0) : body.subarray(4, 4 + len);
}

/** The names of a GetChildrenResponse. */
export function replyChildren(body: Buffer): string[] {
  const count = body.readInt32BE(0);
  const names: string[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const len = body.readInt32BE(at);
    names.push(body.subarray(at + 4, at + 4 + len).toString('utf8'));
    at += 4 + len;
  }
  return names;
}

/** `version=100000000` of a configuration text (`/zookeeper/config`, a reconfig reply, `conf`): hex. */
export function configVersion(text: string): bigint | undefined {
  const m = /^version=([0-9a-fA-F]+)\s*$/m.exec(text);
  return m ? BigInt(`0x${m[1]}`) : undefined;
}
