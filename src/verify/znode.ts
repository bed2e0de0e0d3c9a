// Proof by data: a znode written through one server must be readable through every other one.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Dial } from './dial.js';
import { openSession, SessionError, type Session } from './zk-session.js';

export { localProxy, type LocalProxy } from './local-proxy.js';

export interface ZnodeTarget {
  id: number;
  address: string;
  port: number;
}

export interface ZnodeCheck {
  ok: boolean;
  path: string;
  token: string;
  /** Server the znode was created through; null when no server accepted the write. */
  writtenVia: number | null;
  /** Why each server tried before `writtenVia` (or all of them) refused the write. */
  writeErrors: { id: number; error: string }[];
  readVia: { id: number; ok: boolean; error?: string }[];
  /** The znode could not be deleted afterwards (does not fail the check). */
  cleanupError?: string;
}

export interface ZnodeOptions {
  path?: string;
  /** Budget for each server's session: connect plus its operations. */
  timeoutMs: number;
}

export const DEFAULT_VERIFY_PATH = '/zkplan/verify';
const NODE_EXISTS = -110;

export async function writeAndReadBack(
  servers: readonly ZnodeTarget[],
  dial: Dial,
  opts: ZnodeOptions,
): Promise<ZnodeCheck> {
  const path = opts.path ?? DEFAULT_VERIFY_PATH;
  const token = `zkplan-verify ${new Date().toISOString()} ${hostname()} ${randomUUID()}`;
  const result: ZnodeCheck = { ok: false, path, token, writtenVia: null, writeErrors: [], readVia: [] };

  let writer: Session | undefined;
  for (const s of servers) {
    try {
      writer = await openSession(dial, s.address, s.port, opts.timeoutMs);
      await createFresh(writer, path, Buffer.from(token));
      result.writtenVia = s.id;
      break;
    } catch (err) {
      result.writeErrors.push({ id: s.id, error: message(err) });
      await writer?.close();
      writer = undefined;
    }
  }
  if (!writer) return result;

  try {
    const readers = servers.filter((s) => s.id !== result.writtenVia);
    result.readVia = await Promise.all(readers.map((s) => readBack(s, dial, path, token, opts.timeoutMs)));
    result.ok = result.readVia.every((r) => r.ok);
  } finally {
    try {
      await writer.removeRecursive(path);
    } catch (err) {
      result.cleanupError = message(err);
    }
    await writer.close();
  }
  return result;
}

/** A znode left behind by an interrupted run must not make this run fail or read stale data. */
async function createFresh(session: Session, path: string, data: Buffer): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (parent !== '') await session.mkdirp(parent);
  try {
    await session.create(path, data);
  } catch (err) {
    if (!(err instanceof SessionError && err.code === NODE_EXISTS)) throw err;
    await session.removeRecursive(path);
    await session.create(path, data);
  }
}

// node-zookeeper-client 1.1.3 has no sync(): its reply handler does not know the SYNC opcode
// and drops the connection. A write through the reader serves the same purpose: the server
// applies committed transactions in order, so once its own write is acknowledged it has
// applied the earlier create. It also proves the reader can forward writes to the leader.
async function readBack(
  s: ZnodeTarget,
  dial: Dial,
  path: string,
  token: string,
  timeoutMs: number,
): Promise<ZnodeCheck['readVia'][number]> {
  let session: Session | undefined;
  try {
    session = await openSession(dial, s.address, s.port, timeoutMs);
    await session.create(`${path}/read-${s.id}`, Buffer.from(token));
    const data = (await session.getData(path)).toString('utf8');
    if (data !== token) return { id: s.id, ok: false, error: `read ${JSON.stringify(data)}, expected ${JSON.stringify(token)}` };
    return { id: s.id, ok: true };
  } catch (err) {
    return { id: s.id, ok: false, error: message(err) };
  } finally {
    await session?.close();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
