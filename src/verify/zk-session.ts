// One ZooKeeper session pinned to one server, with the few operations verification needs, each
// bounded by a deadline (src/verify/zk-connection.ts speaks the protocol).

import { endpoint, type Dial } from './dial.js';
import { createRequest, deleteRequest, errorName, getChildrenRequest, getDataRequest, replyChildren, replyData, syncRequest, ZK_ERROR, type Reply } from './jute.js';
import { ZkConnection } from './zk-connection.js';

export interface Session {
  create(path: string, data: Buffer): Promise<void>;
  /** A znode that lives as long as the session: closing it (or its expiry) removes the znode. */
  createEphemeral(path: string, data: Buffer): Promise<void>;
  mkdirp(path: string): Promise<void>;
  getData(path: string): Promise<Buffer>;
  /** Resolves once this server has applied everything the leader committed before it asked. */
  sync(path: string): Promise<void>;
  removeRecursive(path: string): Promise<void>;
  close(): Promise<void>;
}

export class SessionError extends Error {
  override name = 'SessionError';
  constructor(
    message: string,
    /** ZooKeeper's error code (e.g. -110 NodeExists) when the server answered with one */
    readonly code?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export async function openSession(dial: Dial, address: string, port: number, timeoutMs: number): Promise<Session> {
  let conn: ZkConnection;
  try {
    conn = await ZkConnection.open(dial, address, port, timeoutMs);
  } catch (err) {
    throw new SessionError(`${endpoint(address, port)}: no ZooKeeper session: ${(err as Error).message.replace(`${endpoint(address, port)}: `, '')}`, undefined, err);
  }
  return sessionOn(conn);
}

function sessionOn(conn: ZkConnection): Session {
  const call = async (what: string, packet: (xid: number) => Buffer): Promise<Reply> => {
    let reply: Reply;
    try {
      reply = await conn.send(what, packet);
    } catch (err) {
      throw new SessionError((err as Error).message, undefined, err);
    }
    if (reply.err !== ZK_ERROR.ok) throw new SessionError(`${conn.where}: ${what}: ${errorName(reply.err)}`, reply.err);
    return reply;
  };
  const create = async (path: string, data: Buffer, mode: 'persistent' | 'ephemeral'): Promise<void> => {
    await call(`create ${path}`, (xid) => createRequest(xid, path, data, mode));
  };
  // A znode that is gone already (an ephemeral one whose session just ended) counts as removed.
  const gone = (err: unknown): void => {
    if (!(err instanceof SessionError && err.code === ZK_ERROR.noNode)) throw err;
  };
  const remove = async (path: string): Promise<void> => {
    const listed = await call(`list ${path}`, (xid) => getChildrenRequest(xid, path)).catch(gone);
    if (listed === undefined) return;
    await Promise.all(replyChildren(listed.body).map((c) => remove(`${path === '/' ? '' : path}/${c}`)));
    await call(`delete ${path}`, (xid) => deleteRequest(xid, path)).catch(gone);
  };
  return {
    create: (path, data) => create(path, data, 'persistent'),
    createEphemeral: (path, data) => create(path, data, 'ephemeral'),
    async mkdirp(path) {
      const parts = path.split('/').filter((p) => p !== '');
      for (let i = 1; i <= parts.length; i++) {
        await create(`/${parts.slice(0, i).join('/')}`, Buffer.alloc(0), 'persistent').catch((err: unknown) => {
          if (!(err instanceof SessionError && err.code === ZK_ERROR.nodeExists)) throw err;
        });
      }
    },
    getData: async (path) => replyData((await call(`getData ${path}`, (xid) => getDataRequest(xid, path))).body),
    sync: async (path) => {
      await call(`sync ${path}`, (xid) => syncRequest(xid, path));
    },
    removeRecursive: remove,
    close: () => conn.close(),
  };
}
