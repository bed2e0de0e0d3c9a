// The super user of a reconfig ensemble (ZOOKEEPER-FACTS §8a: `reconfig` needs an authenticated
// super user; skipACL would open every znode to every client). zkplan makes a 256-bit random
// password once and keeps it locally beside the ensemble's other generated material
// (`.zkplan/<ensemble>/super.password`, directory 0700, file 0600), reused on every later apply.
// The servers get only its digest; the password travels only in the auth packet's body.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SuperCredential {
  password: string;
  /** `super:<base64 sha1(super:password)>`, DigestAuthenticationProvider's form */
  digest: string;
}

/** The digest ZooKeeper compares an `addauth digest user:password` with. */
export function superDigest(password: string, user = 'super'): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** `.zkplan/<ensemble>` beside the inventory. */
export function ensembleSecretsDir(inventoryFile: string, ensemble: string): string {
  return path.join(path.dirname(path.resolve(inventoryFile)), '.zkplan', ensemble);
}

/** The ensemble's super credential, made on first use and kept. */
export function ensureSuperCredential(inventoryFile: string, ensemble: string): SuperCredential {
  const dir = ensembleSecretsDir(inventoryFile, ensemble);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of [dir, path.dirname(dir)]) chmodSync(d, 0o700);
  const file = path.join(dir, 'super.password');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  const password = readFileSync(file, 'utf8').trim();
  return { password, digest: superDigest(password) };
}
