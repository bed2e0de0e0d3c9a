// File transfer over one SFTP channel. Files are written under a temporary name and renamed
// into place, so a reader (or a crashed deploy) never sees half a zoo.cfg.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { OperationalError } from '../common/problems.js';
import { DEFAULT_FILE_MODE, type FileToPut } from './session.js';

const NO_SUCH_FILE = 2;

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
      await call((cb) => sftp.writeFile(tmp, file.content, { mode }, cb));
      // The server applies its umask when creating the file; the requested mode is the contract.
      await call((cb) => sftp.chmod(tmp, mode, cb));
      await renameOver(sftp, tmp, target);
    } catch (err) {
      await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw new OperationalError(`${label}: cannot write ${target}: ${(err as Error).message}`, { cause: err });
    }
  }
}

export async function sftpReadFile(sftp: SFTPWrapper, label: string, file: string): Promise<Buffer | undefined> {
  try {
    return await call<Buffer>((cb) => sftp.readFile(file, cb));
  } catch (err) {
    if ((err as SftpError).code === NO_SUCH_FILE) return undefined;
    throw new OperationalError(`${label}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
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
