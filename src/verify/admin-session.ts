// A short ZooKeeper session as the super user, for what node-zookeeper-client cannot do: read
// the committed configuration and send `reconfig`. Raw packets (src/verify/jute.ts) over the
// same Dial as every check, so it reaches a server through the SSH tunnel (and TLS) like they do.
// The password goes only into the auth packet's body.
import type { Duplex } from 'node:stream';
import { endpoint, type Dial } from './dial.js';
import { configVersion, connectRequest, digestAuthRequest, errorName, FrameReader, getDataRequest, parseConnectResponse, parseReply, reconfigRequest, replyData, ZK_ERROR, type ReconfigChange, type Reply } from './jute.js';

export const CONFIG_NODE = '/zookeeper/config';

export class ZkRequestError extends Error {
  override name = 'ZkRequestError';
  constructor(
    readonly where: string,
    readonly what: string,
    readonly code: number,
  ) {
    super(`${where}: ${what}: ${errorName(code)}`);
  }
}

export interface CommittedConfig {
  text: string;
  version: bigint;
}

export interface AdminSession {
  /** `/zookeeper/config`: the configuration the ensemble committed last, with its version */
  config(): Promise<CommittedConfig>;
  /** one incremental reconfig, checked against `fromVersion`; resolves to the new configuration */
  reconfig(change: ReconfigChange, fromVersion: bigint): Promise<CommittedConfig>;
  close(): void;
}

/** Opens a session at `address:port` and authenticates as `super`; every exchange is bounded by `timeoutMs`. */
export async function openAdminSession(dial: Dial, address: string, port: number, password: string, timeoutMs: number): Promise<AdminSession> {
  const where = endpoint(address, port);
  const stream = await dial(address, port);
  const conn = new Connection(stream, where, timeoutMs);
  try {
    const connect = parseConnectResponse(await conn.exchange(connectRequest(Math.max(timeoutMs, 4000)), 'connect'));
    if (connect.sessionId === 0n) throw new Error(`${where}: no session (the server does not serve)`);
    const auth = parseReply(await conn.exchange(digestAuthRequest('super', password), 'authenticate'));
    if (auth.err !== ZK_ERROR.ok) throw new ZkRequestError(where, 'authenticate as super', auth.err);
  } catch (err) {
    conn.close();
    throw err;
  }
  let xid = 1;
  const request = async (what: string, packet: (x: number) => Buffer): Promise<Reply> => {
    const reply = parseReply(await conn.exchange(packet(xid++), what));
    if (reply.err !== ZK_ERROR.ok) throw new ZkRequestError(where, what, reply.err);
    return reply;
  };
  const committed = (text: string, what: string): CommittedConfig => {
    const version = configVersion(text);
    if (version === undefined) throw new Error(`${where}: ${what}: no version= line in ${JSON.stringify(text)}`);
    return { text, version };
  };
  return {
    async config() {
      const reply = await request(`read ${CONFIG_NODE}`, (x) => getDataRequest(x, CONFIG_NODE));
      return committed(replyData(reply.body).toString('utf8'), `read ${CONFIG_NODE}`);
    },
    async reconfig(change, fromVersion) {
      const what = `reconfig${change.joining?.length ? ` -add ${change.joining.join(',')}` : ''}${change.leaving?.length ? ` -remove ${change.leaving.join(',')}` : ''} -v ${fromVersion.toString(16)}`;
      const reply = await request(what, (x) => reconfigRequest(x, change, fromVersion));
      return committed(replyData(reply.body).toString('utf8'), what);
    },
    close: () => conn.close(),
  };
}

/** One request at a time: write a packet, wait for the next frame that is not a watch event. */
class Connection {
  private readonly reader = new FrameReader();
  private waiting: ((frame: Buffer | Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Duplex,
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.reader.push(chunk)) this.deliver(f);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  private deliver(frame: Buffer): void {
    // xid -1: a watch notification (none is set, but never mistake one for a reply)
    if (frame.length >= 4 && frame.readInt32BE(0) === -1) return;
    // Nothing else comes unasked: a frame is the answer to the one request in flight.
    const w = this.waiting;
    this.waiting = undefined;
    w?.(frame);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.(err);
  }

  exchange(packet: Buffer, what: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`${this.where}: ${what}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = (frame: Buffer | Error): void => {
        clearTimeout(timer);
        if (frame instanceof Error) reject(new Error(`${this.where}: ${what}: ${frame.message}`));
        else resolve(frame);
      };
      if (this.failure) return done(this.failure);
      this.waiting = done;
      this.stream.write(packet);
    });
  }

  close(): void {
    this.stream.destroy();
  }
}
