// The openssl invocations that make key material, as argv arrays (exactly tested), and the one
// function that runs them. node:crypto makes keys but cannot issue X.509 certificates; the local
// openssl binary can, is on every machine an operator runs zkplan from, and needs no password on
// its command line for unencrypted PEM keys kept in a 0700 directory.
import { execFile } from 'node:child_process';
import { OperationalError } from '../common/problems.js';

/** An EC P-256 private key (PKCS#8 PEM, unencrypted): what ZooKeeper's PEM key store reads. */
export function genKey(out: string): string[] {
  return ['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out];
}

/** A self-signed CA certificate for `key`. */
export function caCertificate(key: string, subject: string, days: number, out: string): string[] {
  return [
    'openssl', 'req', '-x509', '-new', '-sha256', '-key', key, '-subj', subject, '-days', String(days),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', out,
  ];
}

/** A certificate request for `key`. */
export function certificateRequest(key: string, subject: string, out: string): string[] {
  return ['openssl', 'req', '-new', '-sha256', '-key', key, '-subj', subject, '-out', out];
}

/** Signs a request with the CA; the extensions (SANs, usages) come from `extFile`. */
export function signRequest(csr: string, caCert: string, caKey: string, serialHex: string, days: number, extFile: string, out: string): string[] {
  return ['openssl', 'x509', '-req', '-sha256', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${serialHex}`, '-days', String(days), '-extfile', extFile, '-out', out];
}

/** The extension file of a server or client certificate: both TLS usages (a server dials its peers too), and its names. */
export function extensionFile(sans: readonly string[]): string {
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth'];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
  return `${lines.join('\n')}\n`;
}

export function runOpenssl(argv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new OperationalError(missing ? 'openssl not found: zkplan makes key material with the local openssl binary; install it or name your own CA (security.tls)' : `openssl ${argv[1]} failed: ${String(stderr).trim() || err.message}`));
    });
  });
}
