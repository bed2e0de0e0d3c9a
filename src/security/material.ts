// The key material and secrets of a secured ensemble, at the edge (files, randomness, openssl):
// made once, kept locally, reused on every later apply. By default under
// `.zkplan/<ensemble>/tls/` beside the inventory (security.tls.dir to move it): directories
// 0700, files 0600. Per server: its key and a certificate naming every address it is reached by,
// issued by zkplan's CA (or the operator's, security.tls.ca_cert/ca_key); a client certificate
// for zkplan's own verification; SASL passwords made here unless the inventory names a file or
// an environment variable. A certificate is issued again only when it no longer fits (other
// addresses, another CA, expiring), and apply says so.
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { OperationalError } from '../common/problems.js';
import { isSingleHost, type EnsembleSpec, type Inventory, type SecretRef } from '../inventory/types.js';
import { publishedReachAddress } from '../render/text.js';
import { SECRET_FILES, usesSasl, usesTls, type SecurityPlan } from '../plan/security.js';
import type { EnsemblePlan, ServerPlan } from '../plan/types.js';
import { jaasFile } from './jaas.js';
import { caCertificate, certificateRequest, extensionFile, genKey, runOpenssl, signRequest } from './openssl.js';


/**
 * The fingerprint label of a server the plan no longer has (it leaves later in a membership
 * change): zkplan holds no material for it and writes none; it keeps the files it runs with until
 * it is retired.
 */
export const KEPT_MATERIAL = 'kept';
export const CA_DAYS = 3650;
export const CERT_DAYS = 825;
/** A certificate that expires sooner is issued again (and rolled out) by the next apply. */
export const RENEW_BEFORE_DAYS = 30;

export interface SecretFile {
  name: string;
  content: Buffer;
  /**
   * HMAC of the content under the local key (12 hex digits): names the file's version where a
   * name must change with the content (Swarm secrets are immutable), tells nothing about it.
   */
  digest: string;
}

export interface ServerMaterial {
  /** what is mounted at SECRETS_MOUNT in the server's container */
  files: SecretFile[];
  /**
   * HMAC of those files under a local key: changes when any of them changes (so the server is
   * rolled), tells nothing about them (no password can be tried against it).
   */
  fingerprint: string;
  /**
   * HMAC of its own key and certificate (server.pem) alone, when it speaks TLS: what a server
   * that reloads its quorum certificates takes without a restart (src/plan/security.ts).
   */
  certificate?: string;
  /** HMAC of the other files (the CA, the JAAS file): what a running server takes only by a restart */
  restartFingerprint: string;
}

export interface ClientMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

export interface EnsembleMaterial {
  dir: string;
  /** by server name */
  servers: Map<string, ServerMaterial>;
  /** zkplan's own client certificate, when clients must speak TLS */
  client?: ClientMaterial;
  /** what was made or issued again on this run (nothing: everything was reused) */
  made: string[];
}

/** Where an ensemble's material lives: security.tls.dir, else `.zkplan/<ensemble>/tls` beside the inventory. */
export function materialDir(spec: EnsembleSpec, inventoryFile: string): string {
  const base = path.dirname(path.resolve(inventoryFile));
  return spec.security?.tls?.dir !== undefined ? path.resolve(base, spec.security.tls.dir) : path.join(base, '.zkplan', spec.name, 'tls');
}

/**
 * The subject alternative names of a server: every name and address its peers and clients reach
 * it by. Host networking: the host's address. One host's network (bridge, links, static-ip): what
 * peers dial (container name, link alias, static IP), the name Docker's DNS gives a peer's
 * address back as (`<container>.<network>`: the quorum checks a connecting peer by it), the address
 * clients reach the published port on and the host's own address.
 */
export function serverSans(s: ServerPlan, e: EnsemblePlan): string[] {
  const san = (a: string) => (isIP(a) ? `IP:${a}` : `DNS:${a}`);
  if (!isSingleHost(e.network)) return [san(s.host.address)];
  const names = [s.name, `${s.name}.${e.dockerNetwork?.name ?? e.network}`, s.linkAlias, s.staticIp, publishedReachAddress(e), s.host.address];
  return [...new Set(names.filter((n): n is string => n !== undefined))].map(san);
}

export async function ensureMaterial(spec: EnsembleSpec, ensemble: EnsemblePlan, security: SecurityPlan, inventoryFile: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<EnsembleMaterial> {
  const dir = materialDir(spec, inventoryFile);
  privateDir(dir, spec.security?.tls?.dir === undefined);
  const made: string[] = [];
  const base = path.dirname(path.resolve(inventoryFile));
  const fingerprintKey = keptSecret(dir, 'fingerprint.key', () => randomBytes(32).toString('hex'), made);

  let tls: { ca: Buffer; server: (s: ServerPlan) => Promise<Buffer>; client: () => Promise<ClientMaterial> } | undefined;
  if (usesTls(security)) {
    const { caCert, caKey } = await ensureCa(spec, ensemble.name, dir, base, made);
    const ca = readFileSync(caCert);
    const issue = async (name: string, cn: string, sans: string[]): Promise<Buffer> => {
      const key = path.join(dir, `${name}.key`);
      const cert = path.join(dir, `${name}.pem`);
      const why = reasonToIssue(key, cert, ca, sans, now);
      if (why !== undefined) {
        if (!existsSync(key)) await made600(genKey(key), key);
        const csr = path.join(dir, `${name}.csr`);
        const ext = path.join(dir, `${name}.ext`);
        try {
          await runOpenssl(certificateRequest(key, `/CN=${cn}`, csr));
          writeFileSync(ext, extensionFile(sans), { mode: 0o600 });
          await made600(signRequest(csr, caCert, caKey, randomBytes(12).toString('hex'), CERT_DAYS, ext, cert), cert);
        } finally {
          rmSync(csr, { force: true });
          rmSync(ext, { force: true });
        }
        made.push(`certificate ${name} (${why})`);
      }
      return Buffer.concat([readFileSync(key), readFileSync(cert)]);
    };
    tls = {
      ca,
      server: (s) => issue(s.name, s.name, serverSans(s, ensemble)),
      client: async () => {
        await issue('zkplan-client', 'zkplan', []);
        return { key: readFileSync(path.join(dir, 'zkplan-client.key')), cert: readFileSync(path.join(dir, 'zkplan-client.pem')), ca };
      },
    };
  }

  let jaas: Buffer | undefined;
  if (usesSasl(security)) {
    const password = (ref: SecretRef | undefined, kept: string, what: string) =>
      ref === undefined ? keptSecret(dir, kept, () => randomBytes(24).toString('base64url'), made) : secretFrom(ref, base, what, env);
    const given = spec.security ?? {};
    jaas = Buffer.from(
      jaasFile({
        ...(security.quorumSasl ? { quorumPassword: password(given.quorum_sasl_password, 'quorum-sasl.password', 'security.quorum_sasl_password') } : {}),
        ...(security.clientSasl ? { clientPassword: password(given.client_sasl_password, 'client-sasl.password', 'security.client_sasl_password') } : {}),
      }),
    );
  }

  const servers = new Map<string, ServerMaterial>();
  for (const s of ensemble.servers) {
    const file = (name: string, content: Buffer): SecretFile => ({ name, content, digest: createHmac('sha256', fingerprintKey).update(content).digest('hex').slice(0, 12) });
    const files: SecretFile[] = [];
    if (tls) files.push(file(SECRET_FILES.keyStore, await tls.server(s)), file(SECRET_FILES.trustStore, tls.ca));
    if (jaas) files.push(file(SECRET_FILES.jaas, jaas));
    const mac = (of: readonly SecretFile[]) => {
      const h = createHmac('sha256', fingerprintKey);
      for (const f of of) h.update(f.name).update('\0').update(f.content).update('\0');
      return h.digest('hex').slice(0, 16);
    };
    const own = files.find((f) => f.name === SECRET_FILES.keyStore);
    servers.set(s.name, {
      files,
      fingerprint: mac(files),
      ...(own ? { certificate: mac([own]) } : {}),
      restartFingerprint: mac(files.filter((f) => f !== own)),
    });
  }
  const client = tls && security.clientTls !== 'off' ? await tls.client() : undefined;
  return { dir, servers, ...(client ? { client } : {}), made };
}

async function ensureCa(spec: EnsembleSpec, ensemble: string, dir: string, base: string, made: string[]): Promise<{ caCert: string; caKey: string }> {
  const own = spec.security?.tls;
  if (own?.ca_cert !== undefined && own.ca_key !== undefined) {
    const caCert = path.resolve(base, own.ca_cert);
    const caKey = path.resolve(base, own.ca_key);
    for (const f of [caCert, caKey]) if (!existsSync(f)) throw new OperationalError(`${f}: no such file (security.tls of ensemble ${ensemble})`);
    return { caCert, caKey };
  }
  const caCert = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  if (existsSync(caCert) !== existsSync(caKey)) {
    throw new OperationalError(`${dir}: one of ca.pem and ca.key is missing; zkplan will not replace a CA silently (restore it, or remove the directory to start over: every server then gets new certificates)`);
  }
  if (!existsSync(caCert)) {
    await made600(genKey(caKey), caKey);
    await made600(caCertificate(caKey, `/CN=zkplan CA for ensemble ${ensemble}`, CA_DAYS, caCert), caCert);
    made.push(`CA in ${dir}`);
  }
  return { caCert, caKey };
}

/** Why a certificate must be issued (again), or undefined when the one on disk fits. */
function reasonToIssue(keyFile: string, certFile: string, ca: Buffer, sans: readonly string[], now: Date): string | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return 'new';
  const cert = new X509Certificate(readFileSync(certFile));
  if (!cert.verify(new X509Certificate(ca).publicKey)) return 'issued by another CA';
  const has = (cert.subjectAltName ?? '').split(', ').filter(Boolean).map((n) => n.replace(/^IP Address:/, 'IP:'));
  if (has.length !== sans.length || sans.some((n) => !has.includes(n))) return `names changed: ${has.join(', ') || 'none'} → ${sans.join(', ') || 'none'}`;
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * 86_400_000) return `expires ${cert.validTo}`;
  return undefined;
}

async function made600(argv: string[], file: string): Promise<void> {
  await runOpenssl(argv);
  chmodSync(file, 0o600);
}

/** The material directory 0700, and the `.zkplan/<ensemble>` directories above it when zkplan chose the place. */
function privateDir(dir: string, chosenByZkplan: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirs = chosenByZkplan ? [dir, path.dirname(dir), path.dirname(path.dirname(dir))] : [dir];
  for (const d of dirs) chmodSync(d, 0o700);
}

/** A secret zkplan makes once and keeps (0600) in the material directory. */
function keptSecret(dir: string, name: string, make: () => string, made: string[]): string {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    writeFileSync(file, `${make()}\n`, { mode: 0o600 });
    made.push(name);
  }
  return readFileSync(file, 'utf8').trim();
}

/** A secret the inventory names: a file (relative to the inventory) or an environment variable. */
export function secretFrom(ref: SecretRef, base: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  let value: string | undefined;
  if ('env' in ref) {
    value = env[ref.env];
    if (value === undefined || value === '') throw new OperationalError(`${what}: environment variable ${ref.env} is not set`);
  } else {
    const file = path.resolve(base, ref.file);
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new OperationalError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (value === '') throw new OperationalError(`${what}: the secret is empty`);
  return value;
}

/**
 * Whether an ensemble may have been secured from here: it is, or its material directory exists.
 * Only then does apply look for security steps (one more inspect per host).
 */
export function maySecure(inventory: Inventory, ensemble: EnsemblePlan): boolean {
  const spec = inventory.ensembles.find((e) => e.name === ensemble.name)!;
  return ensemble.security !== undefined || existsSync(materialDir(spec, inventory.file));
}

/** The material of a planned ensemble (undefined when it has no security), made or reused; what was made is noted. */
export async function materialOf(inventory: Inventory, ensemble: EnsemblePlan, note: (message: string) => void, security = ensemble.security): Promise<EnsembleMaterial | undefined> {
  if (!security) return undefined;
  const spec = inventory.ensembles.find((e) => e.name === ensemble.name)!;
  const material = await ensureMaterial(spec, ensemble, security, inventory.file);
  note(`${ensemble.name}: key material in ${material.dir}: ${material.made.length > 0 ? `made ${material.made.join(', ')}` : 'reused'}`);
  return material;
}
