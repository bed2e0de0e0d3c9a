// A secured ensemble's per-server secret files in a local directory, for what runs from files on
// this machine: `render -o DIR/` (a `secrets/` directory beside the compose file) and
// `up --local` (under the ensemble's local state directory). One directory per server, as apply
// pushes them to a host: directories 0700, files 0600, handed to the uid the image reads them as
// when zkplan runs as root (otherwise the operator is told). Mounted read-only into the container.
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OperationalError } from '../common/problems.js';
import type { EnsembleMaterial } from './material.js';

export interface WrittenSecrets {
  root: string;
  /** per server: its directory */
  dirs: string[];
  files: number;
  /** the uid the files were handed to; undefined: left to the user zkplan runs as */
  owner?: number;
  /** when the files could not be handed to the image's uid: how the operator does it */
  chownHint?: string;
}

/**
 * Writes `<root>/<server>/<file>` for every server of the material. A file zkplan did not make
 * (a name the material has no file for) is removed, so that a directory reused after the
 * security changed holds exactly what the server reads now.
 */
export function writeServerSecrets(root: string, material: EnsembleMaterial, ownerUid: number | undefined): WrittenSecrets {
  refuseSymlink(root);
  privateDirectory(root);
  const asRoot = process.getuid?.() === 0;
  const dirs: string[] = [];
  let files = 0;
  for (const [server, m] of [...material.servers].sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(server)) throw new Error(`internal error: server name ${JSON.stringify(server)} is not a file name`);
    const dir = path.join(root, server);
    refuseSymlink(dir);
    privateDirectory(dir);
    const names = new Set(m.files.map((f) => f.name));
    for (const old of readdirSync(dir)) if (!names.has(old)) rmSync(path.join(dir, old), { force: true, recursive: true });
    for (const f of m.files) {
      const file = path.join(dir, f.name);
      refuseSymlink(file);
      writeFileSync(file, f.content, { mode: 0o600 });
      chmodSync(file, 0o600);
      files++;
    }
    if (asRoot && ownerUid !== undefined) {
      chownSync(dir, ownerUid, -1);
      for (const f of m.files) chownSync(path.join(dir, f.name), ownerUid, -1);
    }
    dirs.push(dir);
  }
  const handed = asRoot && ownerUid !== undefined;
  const mine = process.getuid?.();
  return {
    root,
    dirs,
    files,
    ...(handed ? { owner: ownerUid } : {}),
    ...(!handed && ownerUid !== undefined && mine !== ownerUid ? { chownHint: `sudo chown -R ${ownerUid} ${dirs.join(' ')}` } : {}),
  };
}

function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

// A link planted where a secret goes would carry it elsewhere.
function refuseSymlink(p: string): void {
  let link = false;
  try {
    link = lstatSync(p).isSymbolicLink();
  } catch {
    return;
  }
  if (link) throw new OperationalError(`${p} is a symbolic link; zkplan writes secrets only into directories and files of its own`);
}
