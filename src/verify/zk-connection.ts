// One ZooKeeper session on one server's client port, spoken in raw client-protocol packets
// (src/verify/jute.ts) over a Dial: the SSH tunnel's channel itself (and TLS over it), with no
// local listener in between. Requests are matched to their replies by xid and any number may be
// in flight: ZooKeeper answers a session's requests in the order they were sent, so a read sent
// right behind a write or a sync sees it. Every exchange carries its own deadline, and a lost
// connection fails every request at once: nothing reconnects behind the caller's back.
import type { Duplex } from 'node:stream';
import { endpoint, type Dial } from './dial.js';
import { closeSessionRequest, connectRequest, FrameReader, NOTIFICATION_XID, parseConnectResponse, parseReply, PING_XID, pingRequest, type Reply } from './jute.js';

/** How long a close waits for the server to confirm that the session (and its ephemeral znodes) ended. */
const CLOSE_WAIT_MS = 1000;

export class ZkConnection {
  private readonly reader = new FrameReader();
  /** by xid; the connect response, which has no header, under CONNECT */
  private readonly waiting = new Map<number, (frame: Buffer | Error) => void>();
  private failure: Error | undefined;
  private nextXid = 1;
  private pinger: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly stream: Duplex,
    readonly where: string,
    private readonly timeoutMs: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) this.deliver(frame);
      } catch (err) {
        this.fail(err as Error);
        stream.destroy();
      }
    });
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  /**
   * Dials the server and opens a session. A server that does not serve closes the connection or
   * answers with no session: both refuse. `timeoutMs` bounds the handshake and each later request;
   * the session's own timeout is at least 4 s (ZooKeeper clamps it to [2, 20] × tickTime), and only
   * matters when zkplan dies midway.
   */
  static async open(dial: Dial, address: string, port: number, timeoutMs: number): Promise<ZkConnection> {
    const conn = new ZkConnection(await dial(address, port), endpoint(address, port), timeoutMs);
    try {
      const connected = parseConnectResponse(await conn.exchange('connect', () => connectRequest(Math.max(timeoutMs, 4000)), CONNECT));
      if (connected.sessionId === 0n) throw new Error(`${conn.where}: connect: no session (the server does not serve)`);
      // A session the server hears nothing of for its timeout ends: ping at a third of it.
      conn.pinger = setInterval(() => conn.stream.write(pingRequest()), Math.max(500, connected.timeoutMs / 3)).unref();
    } catch (err) {
      conn.destroy();
      throw err;
    }
    return conn;
  }

  /** Sends one request (built for its xid; authentication has its own) and resolves to its reply, whatever its error code. */
  async send(what: string, packet: (xid: number) => Buffer, xid = this.nextXid++): Promise<Reply> {
    return parseReply(await this.exchange(what, packet, xid));
  }

  private exchange(what: string, packet: (xid: number) => Buffer, xid: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(xid);
        reject(new Error(`${this.where}: ${what}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = (frame: Buffer | Error): void => {
        clearTimeout(timer);
        if (frame instanceof Error) reject(new Error(`${this.where}: ${what}: ${frame.message}`));
        else resolve(frame);
      };
      if (this.failure) return done(this.failure);
      this.waiting.set(xid, done);
      this.stream.write(packet(xid));
    });
  }

  private deliver(frame: Buffer): void {
    if (this.waiting.has(CONNECT)) return this.answer(CONNECT, frame);
    const xid = frame.length >= 4 ? frame.readInt32BE(0) : NaN;
    // a watch notification (none is set, but never mistake one for a reply) or a ping's answer
    if (xid === NOTIFICATION_XID || xid === PING_XID) return;
    this.answer(xid, frame);
  }

  private answer(xid: number, frame: Buffer): void {
    const w = this.waiting.get(xid);
    this.waiting.delete(xid);
    w?.(frame);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    clearInterval(this.pinger);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w(err);
  }

  /**
   * Ends the session: the server removes its ephemeral znodes as it does. Waits for the server's
   * answer (at most CLOSE_WAIT_MS), then cuts the stream; callers need not wait for it.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (this.failure === undefined) {
        const answered = this.send('close session', closeSessionRequest).then(() => undefined, () => undefined);
        await Promise.race([answered, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
      }
      this.destroy();
    })());
  }

  private destroy(): void {
    clearInterval(this.pinger);
    this.stream.destroy();
  }
}

/** The waiting slot of the connect response (no xid: it is the first frame the server sends). */
const CONNECT = Number.MIN_SAFE_INTEGER;
