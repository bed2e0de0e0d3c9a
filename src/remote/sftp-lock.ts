// The deploy lock of src/remote/commands/lock.ts taken over SFTP: the same `<dir>/lock`
// directory (an exclusive mkdir, atomic on every filesystem) and the same details file, so a
// lock taken this way and one taken by the shell scripts exclude each other and read alike.
// Taking and releasing it starts no process on the host.
import { formatLockDetails, parseLockDetails, type LockDetails } from './commands/lock.js';
import type { RemoteFiles } from './sftp-files.js';

export type LockAttempt = { acquired: true } | { acquired: false; holder: Partial<LockDetails> };

export async function acquireLockFiles(fs: RemoteFiles, dir: string, details: LockDetails, opts: { force: boolean }): Promise<LockAttempt> {
  if (opts.force) await breakLockFiles(fs, dir);
  // The ensemble's directory exists after the first apply: made only when the lock's mkdir fails.
  const made = await fs.mkdir(`${dir}/lock`).catch(async () => {
    await fs.mkdirp(dir);
    return fs.mkdir(`${dir}/lock`);
  });
  if (made) {
    try {
      // As the shell script writes it: printf "%s\n".
      await fs.write(`${dir}/lock/details`, `${formatLockDetails(details)}\n`, 0o644);
    } catch (err) {
      await breakLockFiles(fs, dir).catch(() => undefined);
      throw err;
    }
    return { acquired: true };
  }
  // Between the winner's mkdir and its write the details file may not exist yet.
  const text = await fs.read(`${dir}/lock/details`).catch(() => undefined);
  return { acquired: false, holder: parseLockDetails(text?.toString('utf8') ?? '') };
}

/** Removes the lock only while it still carries these details (see releaseOwnLock). */
export async function releaseOwnLockFiles(fs: RemoteFiles, dir: string, details: LockDetails): Promise<void> {
  const text = await fs.read(`${dir}/lock/details`);
  if (text === undefined || text.toString('utf8').replace(/\n$/, '') !== formatLockDetails(details)) return;
  await breakLockFiles(fs, dir);
}

/**
 * Both removals sent together: a server that handles requests in order (OpenSSH does) makes it
 * one round trip; one that took the directory first, still holding the file, is asked again.
 */
async function breakLockFiles(fs: RemoteFiles, dir: string): Promise<void> {
  const [file, directory] = await Promise.allSettled([fs.unlink(`${dir}/lock/details`), fs.rmdir(`${dir}/lock`)]);
  if (file.status === 'rejected') throw file.reason;
  if (directory.status === 'rejected') await fs.rmdir(`${dir}/lock`);
}
