// Proof by data: a znode written through one server must be readable through every other one.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Dial } from './dial.js';
import { ZK_ERROR } from './jute.js';
import { openSession, SessionError, type Session } from './zk-session.js';

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
}

export interface ZnodeOptions {
  path?: string;
  /** Budget for each server's session: connect plus its operations. */
  timeoutMs: number;
  /** Sessions opened ahead (openSessionsAhead), by server id: used instead of opening them, and closed like them. */
  opened?: ReadonlyMap<number, Promise<Session>>;
}

/** Sessions to servers, opened now for a znode check to come (see ZnodeOptions.opened); `given` ones join them. */
export function openSessionsAhead(given?: ReadonlyMap<number, Promise<Session>>): { open(target: ZnodeTarget, dial: Dial, timeoutMs: number): void; sessions: Map<number, Promise<Session>>; close(): void } {
  const sessions = new Map<number, Promise<Session>>(given);
  return {
    sessions,
    open(target, dial, timeoutMs) {
      const opening = openSession(dial, target.address, target.port, timeoutMs);
      opening.catch(() => undefined);
      sessions.set(target.id, opening);
    },
    close() {
      for (const p of sessions.values()) void p.then((s) => s.close(), () => undefined);
      sessions.clear();
    },
  };
}

export const DEFAULT_VERIFY_PATH = '/zkplan/verify';

/**
 * Every znode the check writes is ephemeral: closing its session removes it, so no delete
 * round trip follows the proof, and a run that dies midway leaves nothing once its sessions
 * expire. The sessions close after the result is known, without holding it up: the servers
 * end them as soon as the close requests arrive, whether or not anyone waits for the answer.
 */
export async function writeAndReadBack(
  servers: readonly ZnodeTarget[],
  dial: Dial,
  opts: ZnodeOptions,
): Promise<ZnodeCheck> {
  const path = opts.path ?? DEFAULT_VERIFY_PATH;
  const token = `zkplan-verify ${new Date().toISOString()} ${hostname()} ${randomUUID()}`;
  const result: ZnodeCheck = { ok: false, path, token, writtenVia: null, writeErrors: [], readVia: [] };

  // Every session opens at once: opening one (a tunnel channel and a ZooKeeper handshake) is
  // most of the check's time, and the readers' sessions are needed right after the write.
  const opening = new Map(servers.map((s) => [s.id, settle(opts.opened?.get(s.id) ?? openSession(dial, s.address, s.port, opts.timeoutMs))]));
  const sessionOf = async (s: ZnodeTarget): Promise<Session> => {
    const opened = await opening.get(s.id)!;
    if ('error' in opened) throw opened.error;
    return opened.session;
  };
  try {
    let written = false;
    for (const s of servers) {
      try {
        await createFresh(await sessionOf(s), path, Buffer.from(token));
        result.writtenVia = s.id;
        written = true;
        break;
      } catch (err) {
        result.writeErrors.push({ id: s.id, error: message(err) });
      }
    }
    if (!written) return result;

    const readers = servers.filter((s) => s.id !== result.writtenVia);
    result.readVia = await Promise.all(readers.map((s) => readBack(s, () => sessionOf(s), path, token)));
    result.ok = result.readVia.every((r) => r.ok);
    return result;
  } finally {
    for (const p of opening.values()) void p.then((opened) => ('session' in opened ? opened.session.close() : undefined));
  }
}

function settle(p: Promise<Session>): Promise<{ session: Session } | { error: unknown }> {
  return p.then((session) => ({ session }), (error: unknown) => ({ error }));
}

/**
 * A znode left behind (the persistent one of an earlier zkplan, with its readers' children, or
 * the ephemeral one of a run whose session has not expired yet) must not make this run fail or
 * read stale data. The parent is made only when it is missing (the first verification ever).
 */
async function createFresh(session: Session, path: string, data: Buffer): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'));
  try {
    await session.createEphemeral(path, data);
  } catch (err) {
    if (err instanceof SessionError && err.code === ZK_ERROR.noNode && parent !== '') {
      await session.mkdirp(parent);
      await session.createEphemeral(path, data);
      return;
    }
    if (!(err instanceof SessionError && err.code === ZK_ERROR.nodeExists)) throw err;
    await session.removeRecursive(path);
    await session.createEphemeral(path, data);
  }
}

// A sync, then the read, sent together: the sync is answered once the reader has applied what
// the leader committed before it (the create among them), and ZooKeeper answers a session's
// requests in the order sent, so the read comes after it. The sync goes through the leader: it
// also proves that the reader follows it now.
async function readBack(
  s: ZnodeTarget,
  session: () => Promise<Session>,
  path: string,
  token: string,
): Promise<ZnodeCheck['readVia'][number]> {
  try {
    const reader = await session();
    const [synced, read] = await Promise.allSettled([reader.sync(path), reader.getData(path)]);
    if (synced.status === 'rejected') throw synced.reason;
    if (read.status === 'rejected') throw read.reason;
    const data = read.value.toString('utf8');
    if (data !== token) return { id: s.id, ok: false, error: `read ${JSON.stringify(data)}, expected ${JSON.stringify(token)}` };
    return { id: s.id, ok: true };
  } catch (err) {
    return { id: s.id, ok: false, error: message(err) };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
