// An ensemble's security (ZOOKEEPER-FACTS §8b): TLS between servers and for clients, SASL
// between servers and for clients, resolved from the inventory's `security` block and checked
// against the version, the image profile and the network, and the zoo.cfg lines that carry it.
// The key material and secrets themselves are files zkplan makes or reads at the edge
// (src/security) and mounts read-only at SECRETS_MOUNT: nothing here ever sees a secret value,
// only the paths the server reads them from.
import { isSingleHost, type ClientTls, type EnsembleSpec, type Profile, type YamlPath } from '../inventory/types.js';
import type { Report } from './placement.js';
import { resolveVersion, type ZkVersion } from './version.js';
import type { SecurityPlan } from './types.js';

// Defined with the plan's other types (types.ts); re-exported for the security code's readers.
export type { SecurityPlan };

/** Where a server's key material and JAAS file are mounted (read-only) inside its container. */
export const SECRETS_MOUNT = '/zkplan-secrets';
/** The files of that directory: PEM private key + certificate chain, the CA's certificate, the JAAS login file. */
export const SECRET_FILES = { keyStore: 'server.pem', trustStore: 'ca.pem', jaas: 'jaas.conf' } as const;

/**
 * The uid that reads the mounted secrets: the official image's entrypoint drops to its
 * `zookeeper` user (uid 1000, gosu) before starting the server; bitnami's runs as uid 1001.
 */
export function secretsOwner(profile: Profile): number | undefined {
  return profile === 'official' ? 1000 : profile === 'bitnami' ? 1001 : undefined;
}

export const NETTY_FACTORY = 'org.apache.zookeeper.server.NettyServerCnxnFactory';
export const SASL_PROVIDER = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
/** The SASL users zkplan writes into the JAAS file: the servers' own, and its client user. */
export const QUORUM_SASL_USER = 'zkquorum';
export const CLIENT_SASL_USER = 'zkplan';

export const NO_SECURITY: SecurityPlan = { quorumTls: false, clientTls: 'off', quorumSasl: false, clientSasl: false };

export function isSecured(s: SecurityPlan | undefined): s is SecurityPlan {
  return s !== undefined && (s.quorumTls || s.clientTls !== 'off' || s.quorumSasl || s.clientSasl);
}

export function usesTls(s: SecurityPlan): boolean {
  return s.quorumTls || s.clientTls !== 'off';
}

export function usesSasl(s: SecurityPlan): boolean {
  return s.quorumSasl || s.clientSasl;
}

/** The security of an ensemble, or undefined when it has none; what its version or image cannot do is reported. */
export function resolveSecurity(spec: EnsembleSpec, report: Report): SecurityPlan | undefined {
  const given = spec.security;
  if (given === undefined) return undefined;
  const plan: SecurityPlan = {
    quorumTls: given.quorum_tls ?? false,
    clientTls: given.client_tls ?? 'off',
    quorumSasl: given.quorum_sasl ?? false,
    clientSasl: given.client_sasl ?? false,
  };
  const at = (...path: string[]): YamlPath => ['ensembles', spec.index, 'security', ...path];
  const version = resolveVersion(spec);
  let errors = 0;
  const refuse: Report = (path, message, severity = 'error', which) => {
    if (severity === 'error') errors++;
    report(path, message, severity, which);
  };
  if (spec.profile === 'aliyun' && isSecured(plan)) {
    refuse(
      at(),
      `profile aliyun (ZooKeeper ${version.text}) cannot be secured by zkplan: 3.4 has no TLS at all and quorum SASL came with 3.4.10; ` +
        `all 3.4.8 could do is offer client SASL logins (an authProvider line, a mounted JAAS file named in JVMFLAGS), which it cannot require of clients ` +
        `and zkplan does not render for this image; use profile official with ZooKeeper 3.5.5+`,
    );
    return undefined;
  }
  if (spec.profile === 'bitnami' && plan.clientTls === 'only') {
    // libzookeeper.sh always writes clientPort=$ZOO_PORT_NUMBER and appends ;$ZOO_PORT_NUMBER to
    // every server line, and ZooKeeper refuses a clientPortAddress that differs from that line's.
    refuse(
      at('client_tls'),
      `client_tls: only cannot be rendered for profile bitnami: its libzookeeper.sh always opens a plain client port (clientPort and ;port on every server line); use client_tls: both, or profile official`,
    );
  }
  if (plan.quorumTls) requireTlsVersion(version, at('quorum_tls'), 'quorum_tls', spec.name, refuse);
  if (plan.clientTls !== 'off') requireTlsVersion(version, at('client_tls'), `client_tls: ${plan.clientTls}`, spec.name, refuse);
  if (plan.quorumSasl && !(version.major > 3 || version.minor > 4 || (version.patch ?? 0) >= 10)) {
    refuse(at('quorum_sasl'), `quorum_sasl needs ZooKeeper 3.4.10 or later (quorum.auth.*); ensemble "${spec.name}" runs ZooKeeper ${version.text}`);
  }
  if (spec.network === 'overlay' && usesTls(plan)) {
    // Peers and clients reach a Swarm task by names and addresses Docker hands out (VIPs, task
    // addresses, published ports): a certificate made before they exist cannot name them all.
    refuse(at(), `security with TLS needs network: host for ensemble "${spec.name}" (a server's certificate names the host addresses it is reached by); it has network: ${spec.network}`);
  }
  if (isSingleHost(spec.network) && plan.clientTls === 'both') {
    // One host's network publishes only the client port: the TLS port beside it would be out of reach.
    refuse(at('client_tls'), `client_tls: both is for host networking; on network ${spec.network} only the client port is published, so use client_tls: only (ensemble "${spec.name}")`);
  }
  if (plan.clientTls !== 'both' && spec.ports.secure_client !== undefined) {
    refuse(['ensembles', spec.index, 'ports', 'secure_client'], `ports.secure_client is used only with security.client_tls: both (ensemble "${spec.name}" has client_tls: ${plan.clientTls})`, 'warning');
  }
  const tls = given.tls ?? {};
  if ((tls.ca_cert === undefined) !== (tls.ca_key === undefined)) {
    refuse(at('tls', tls.ca_cert === undefined ? 'ca_key' : 'ca_cert'), `security.tls needs both ca_cert and ca_key: zkplan issues every server's certificate from the CA`);
  }
  if (!usesTls(plan) && given.tls !== undefined) refuse(at('tls'), `security.tls is unused: ensemble "${spec.name}" has neither quorum_tls nor client_tls`, 'warning');
  if (!plan.quorumSasl && given.quorum_sasl_password !== undefined) refuse(at('quorum_sasl_password'), `quorum_sasl_password is unused: quorum_sasl is off`, 'warning');
  if (!plan.clientSasl && given.client_sasl_password !== undefined) refuse(at('client_sasl_password'), `client_sasl_password is unused: client_sasl is off`, 'warning');
  if (errors > 0 || !isSecured(plan)) return undefined;
  return plan;
}

function requireTlsVersion(version: ZkVersion, at: YamlPath, what: string, ensemble: string, report: Report): void {
  const tooOld = version.major === 3 && (version.minor < 5 || (version.minor === 5 && version.patch !== undefined && version.patch < 5));
  if (tooOld) {
    report(at, `${what} needs ZooKeeper 3.5.5 or later (TLS came with the 3.5 line); ensemble "${ensemble}" runs ZooKeeper ${version.text}`);
  } else if (version.major === 3 && version.minor === 5 && version.patch === undefined) {
    report(at, `${what} needs ZooKeeper 3.5.5 or later; ensemble "${ensemble}" says only 3.5: make sure the image runs 3.5.5+ (or name the patch in zookeeper_version)`, 'warning');
  }
}

/**
 * The zoo.cfg entries that turn the security on, in a fixed order. Paths only: the files are
 * mounted at SECRETS_MOUNT. `securePort`: the TLS client port (ports.client under client_tls:
 * only, ports.secureClient under both).
 */
export function securityConfig(s: SecurityPlan, securePort: number | undefined): [string, string][] {
  const file = (name: string) => `${SECRETS_MOUNT}/${name}`;
  const step = s.phase;
  const lines: [string, string][] = [];
  const stores = (prefix: string): [string, string][] => [
    [`${prefix}.keyStore.location`, file(SECRET_FILES.keyStore)],
    [`${prefix}.keyStore.type`, 'PEM'],
    [`${prefix}.trustStore.location`, file(SECRET_FILES.trustStore)],
    [`${prefix}.trustStore.type`, 'PEM'],
  ];
  if (s.clientTls !== 'off') {
    lines.push(['serverCnxnFactory', NETTY_FACTORY]);
    // on the way to TLS only, the plain client port takes TLS too (and plain clients still work)
    if (s.clientTls === 'only' && step !== undefined) lines.push(['client.portUnification', 'true']);
    else lines.push(['secureClientPort', String(securePort)]);
    lines.push(...stores('ssl'));
    // zkplan reaches servers by their host address, which every certificate names
    lines.push(['ssl.hostnameVerification', 'true']);
  }
  if (s.quorumTls) {
    lines.push(['sslQuorum', String(step !== 'unify')]);
    if (step !== undefined) lines.push(['portUnification', 'true']);
    lines.push(...stores('ssl.quorum'), ['ssl.quorum.hostnameVerification', 'true']);
    // renewed quorum certificates are taken from the files without a restart (3.5.5+, ZOOKEEPER-3174)
    lines.push(['sslQuorumReloadCertFiles', 'true']);
  }
  if (s.quorumSasl) {
    lines.push(['quorum.auth.enableSasl', 'true'], ['quorum.auth.learnerRequireSasl', String(step !== 'unify')], ['quorum.auth.serverRequireSasl', String(step === undefined)]);
  }
  if (s.clientSasl) lines.push(['authProvider.1', SASL_PROVIDER]);
  return lines;
}

/**
 * Whether a server takes a renewed certificate of its own without a restart: the quorum's key
 * and trust stores are reloaded when their files change (sslQuorumReloadCertFiles, which
 * securityConfig sets). The client port's are reloaded only from 3.8.5 and 3.9.x
 * (client.certReload, ZOOKEEPER-4546), which zkplan does not rely on: with client TLS, or with a
 * new CA (every peer must trust it before any presents a certificate from it), it restarts.
 */
export function reloadsCertificates(s: SecurityPlan | undefined): boolean {
  return s !== undefined && s.quorumTls && s.clientTls === 'off' && s.phase === undefined;
}

/** The JVM flag that points the server at its JAAS file (SASL only). */
export function jaasFlag(s: SecurityPlan): string | undefined {
  return usesSasl(s) ? `-Djava.security.auth.login.config=${SECRETS_MOUNT}/${SECRET_FILES.jaas}` : undefined;
}

/** zoo.cfg keys the security block sets, which the inventory's zoo_cfg may not set. */
export const SECURITY_KEYS = /^(ssl\..+|sslQuorum|sslQuorumReloadCertFiles|secureClientPort|secureClientPortAddress|serverCnxnFactory|portUnification|client\.portUnification|client\.certReload|quorum\.auth\..+|authProvider\..+)$/;
