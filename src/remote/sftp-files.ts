// File transfer over one SFTP channel. Files are written under a temporary name and renamed
// into place, so a reader (or a crashed deploy) never sees half a zoo.cfg.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { OperationalError } from '../common/problems.js';

export interface FileToPut {

  path: string;
  content: string | Buffer;
  /** Permission bits; default 0o644. Applied exactly (not filtered through the remote umask). */
  mode?: number;
}

export const DEFAULT_FILE_MODE = 0o644;

const NO_SUCH_FILE = 2;
/** One SFTP read request; OpenSSH answers up to 256 KiB, ssh2 splits what its packets cannot carry. */
const READ_CHUNK = 32 * 1024;
/** Below the smallest write ssh2 sends in one request (34000 bytes less its overhead). */
const WRITE_PIECE = 16 * 1024;

type SftpError = Error & { code?: number };

function call<T = void>(fn: (cb: (err: SftpError | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}

export async function sftpPutFiles(sftp: SFTPWrapper, label: string, files: readonly FileToPut[]): Promise<void> {
  const knownDirs = new Set<string>();
  for (const file of files) {
    const target = path.posix.normalize(file.path);
    const mode = file.mode ?? DEFAULT_FILE_MODE;
    const tmp = path.posix.join(path.posix.dirname(target), `.${path.posix.basename(target)}.zkplan-${randomBytes(6).toString('hex')}`);
    try {
      await ensureDir(sftp, path.posix.dirname(target), knownDirs);
      await writeSmallFile(sftp, tmp, file.content, mode);
      await renameOver(sftp, tmp, target);
    } catch (err) {
      await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw new OperationalError(`${label}: cannot write ${target}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Open, then the data, the mode (the server applies its umask at open; the mode is the
 * contract) and the close sent together: requests on one handle are processed in order
 * (SFTP v3, section 6), so this is two round trips where writeFile and chmod take four. The data
 * goes in pieces that each fit one request (ssh2 would send the rest of a larger one only after
 * its answer, behind the close).
 */
async function writeSmallFile(sftp: SFTPWrapper, file: string, content: string | Buffer, mode: number): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const handle = await call<Buffer>((cb) => sftp.open(file, 'w', { mode }, cb));
  const pieces: Promise<void>[] = [];
  for (let at = 0; at < data.length; at += WRITE_PIECE) pieces.push(call((cb) => sftp.write(handle, data, at, Math.min(WRITE_PIECE, data.length - at), at, cb)));
  const done = await Promise.allSettled([...pieces, call((cb) => sftp.fchmod(handle, mode, cb)), call((cb) => sftp.close(handle, cb))]);
  const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The whole file, or undefined when it does not exist. Its size is asked with the first read:
 * when that read brings the whole size, the file is read in two round trips (open, then both),
 * where readFile (open, fstat, read, close) takes four. Otherwise (a /proc file reports size 0
 * and answers page by page) it is read until the server has no more. The handle is closed
 * without waiting for the answer.
 */
export async function sftpReadFile(sftp: SFTPWrapper, label: string, file: string): Promise<Buffer | undefined> {
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(file, 'r', cb));
  } catch (err) {
    if ((err as SftpError).code === NO_SUCH_FILE) return undefined;
    throw new OperationalError(`${label}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const chunks: Buffer[] = [];
    const readAt = async (position: number): Promise<Buffer> => {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      // ssh2 reports the end of the file as 0 bytes read, not as an error.
      const n = await call<number>((cb) => sftp.read(handle, chunk, 0, READ_CHUNK, position, (err, bytesRead) => cb(err, bytesRead)));
      return chunk.subarray(0, n);
    };
    const [size, first] = await Promise.all([call<{ size: number }>((cb) => sftp.fstat(handle, cb as never)).then((st) => st.size, () => 0), readAt(0)]);
    if (first.length === 0 || (size > 0 && first.length === size)) return first;
    chunks.push(first);
    for (let position = first.length; ; ) {
      const chunk = await readAt(position);
      if (chunk.length === 0) return Buffer.concat(chunks);
      chunks.push(chunk);
      position += chunk.length;
    }
  } catch (err) {
    throw new OperationalError(`${label}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    sftp.close(handle, () => undefined);
  }
}

async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    // Plain SFTP rename refuses to replace an existing file; OpenSSH's extension is rename(2).
    await call((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (!/does not support/.test((err as Error).message)) throw err;
  }
  // Servers without posix-rename: replace non-atomically rather than not at all.
  await call((cb) => sftp.unlink(to, cb)).catch(() => undefined);
  await call((cb) => sftp.rename(from, to, cb));
}

/** `mkdir -p` over SFTP, which only has a one-level mkdir. */
async function ensureDir(sftp: SFTPWrapper, dir: string, known: Set<string>): Promise<void> {
  if (dir === '/' || dir === '.' || dir === '' || known.has(dir)) return;
  const exists = await call<unknown>((cb) => sftp.stat(dir, cb)).then(
    () => true,
    (err: SftpError) => {
      if (err.code === NO_SUCH_FILE) return false;
      throw err;
    },
  );
  if (!exists) {
    await ensureDir(sftp, path.posix.dirname(dir), known);
    await call((cb) => sftp.mkdir(dir, { mode: 0o755 }, cb)).catch(async (err: unknown) => {
      // Another session may have created it in the meantime.
      const nowExists = await call<unknown>((cb) => sftp.stat(dir, cb)).then(() => true, () => false);
      if (!nowExists) throw err;
    });
  }
  known.add(dir);
}

export interface RemoteStat {
  uid: number;
  gid: number;
  mode: number;
  isDirectory: boolean;
}

/**
 * The few file operations zkplan does on a host without starting a process there (the deploy
 * lock, server directories, /proc reads): each is one SFTP request.
 */
export interface RemoteFiles {
  /** One level; false when it already exists (an exclusive create: atomic, the lock relies on it). */
  mkdir(dir: string, mode?: number): Promise<boolean>;
  /** `mkdir -p` */
  mkdirp(dir: string): Promise<void>;
  stat(file: string): Promise<RemoteStat | undefined>;
  /** undefined when it does not exist */
  read(file: string): Promise<Buffer | undefined>;
  /** Written in place (not renamed over): for small files nobody reads half-written. */
  write(file: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Missing is fine. */
  unlink(file: string): Promise<void>;
  /** Missing is fine; a directory that is not empty is an error. */
  rmdir(dir: string): Promise<void>;
  chown(file: string, uid: number, gid: number): Promise<void>;
}

export function sftpFiles(sftp: SFTPWrapper, label: string): RemoteFiles {
  const wrap = async <T>(what: string, file: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw new OperationalError(`${label}: cannot ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const stat = (file: string) =>
    call<{ uid: number; gid: number; mode: number; isDirectory(): boolean }>((cb) => sftp.stat(file, cb as never)).then(
      (s) => ({ uid: s.uid, gid: s.gid, mode: s.mode, isDirectory: s.isDirectory() }),
      (err: SftpError) => {
        if (err.code === NO_SUCH_FILE) return undefined;
        throw err;
      },
    );
  const missingOk = (err: SftpError) => {
    if (err.code !== NO_SUCH_FILE) throw err;
  };
  return {
    mkdir: (dir, mode = 0o755) =>
      wrap('create', dir, () =>
        call((cb) => sftp.mkdir(dir, { mode }, cb)).then(
          () => true,
          async (err: unknown) => {
            // SFTP reports EEXIST as a generic failure: look.
            if ((await stat(dir)) !== undefined) return false;
            throw err;
          },
        ),
      ),
    mkdirp: (dir) => wrap('create', dir, () => ensureDir(sftp, path.posix.normalize(dir), new Set())),
    stat: (file) => wrap('stat', file, () => stat(file)),
    read: (file) => sftpReadFile(sftp, label, file),
    write: (file, content, mode = DEFAULT_FILE_MODE) => wrap('write', file, () => writeSmallFile(sftp, file, content, mode)),
    unlink: (file) => wrap('remove', file, () => call((cb) => sftp.unlink(file, cb)).catch(missingOk)),
    rmdir: (dir) => wrap('remove', dir, () => call((cb) => sftp.rmdir(dir, cb)).catch(missingOk)),
    chown: (file, uid, gid) => wrap('chown', file, () => call((cb) => sftp.chown(file, uid, gid, cb))),
  };
}
