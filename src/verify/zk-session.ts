// One ZooKeeper session pinned to one server (reached through localProxy), with promise-based
// operations that each carry a deadline: the client library itself retries forever.

import zookeeper, { type Client } from './zk-client.js';
import { DialError, endpoint, type Dial } from './dial.js';
import { localProxy, type LocalProxy } from './local-proxy.js';

export interface Session {
  create(path: string, data: Buffer): Promise<void>;
  /** A znode that lives as long as the session: closing it (or its expiry) removes the znode. */
  createEphemeral(path: string, data: Buffer): Promise<void>;
  mkdirp(path: string): Promise<void>;
  getData(path: string): Promise<Buffer>;
  removeRecursive(path: string): Promise<void>;
  close(): Promise<void>;
}

export class SessionError extends Error {
  override name = 'SessionError';
  /** node-zookeeper-client's numeric code (e.g. -110 NODE_EXISTS), when it gave one. */
  readonly code: number | undefined;
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = cause instanceof zookeeper.Exception ? cause.getCode() : undefined;
  }
}

export async function openSession(dial: Dial, address: string, port: number, timeoutMs: number): Promise<Session> {
  const where = endpoint(address, port);
  const proxy = await localProxy(dial, address, port);
  const client = zookeeper.createClient(proxy.connectString, {
    // The server clamps this to [2, 20] × tickTime; it only matters if we crash mid-check.
    sessionTimeout: Math.max(timeoutMs, 4000),
    spinDelay: 100,
    retries: 0,
  });
  const session = makeSession(client, proxy, where, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const e = proxy.lastError;
        const why = e ? `: ${e instanceof DialError ? e.detail : e.message}` : ' (no quorum, or not a ZooKeeper server?)';
        reject(new SessionError(`${where}: no ZooKeeper session within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.connect();
    });
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

function makeSession(client: Client, proxy: LocalProxy, where: string, timeoutMs: number): Session {
  const call = <T>(what: string, start: (cb: (err: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SessionError(`${where}: ${what} timed out after ${timeoutMs} ms`)), timeoutMs);
      start((err, value) => {
        clearTimeout(timer);
        if (err) reject(new SessionError(`${where}: ${what}: ${String(err)}`, err));
        else resolve(value as T);
      });
    });

  let connected = false;
  client.on('connected', () => (connected = true));
  client.on('disconnected', () => (connected = false));
  let closing: Promise<void> | undefined;
  return {
    create: (path, data) => call<void>(`create ${path}`, (cb) => client.create(path, data, (e) => cb(e))),
    createEphemeral: (path, data) => call<void>(`create ${path}`, (cb) => client.create(path, data, zookeeper.CreateMode.EPHEMERAL, (e) => cb(e))),
    mkdirp: (path) => call<void>(`mkdirp ${path}`, (cb) => client.mkdirp(path, (e) => cb(e))),
    getData: (path) =>
      call<Buffer>(`getData ${path}`, (cb) => client.getData(path, (e, data) => cb(e, data ?? Buffer.alloc(0)))),
    removeRecursive: (path) => call<void>(`delete ${path}`, (cb) => client.removeRecursive(path, (e) => cb(e))),
    close: () =>
      (closing ??= (async () => {
        // Ask the server to end the session (so it does not linger until timeout), give it a
        // moment, then cut the proxy: with the proxy gone the client cannot reconnect.
        await new Promise<void>((resolve) => {
          if (!connected) {
            client.close();
            resolve();
            return;
          }
          // unref: a close nobody waits for must not hold the process up
          const timer = setTimeout(resolve, 1000).unref();
          client.once('disconnected', () => {
            clearTimeout(timer);
            resolve();
          });
          client.close();
        });
        await proxy.close();
      })()),
  };
}
