// The JAAS login file a secured server reads (-Djava.security.auth.login.config): DIGEST-MD5
// users for the quorum (QuorumServer / QuorumLearner, ZooKeeper's "Server to server
// authentication") and for clients (Server). It holds passwords, so it only ever travels as a
// mounted secret file, never as a rendered or pushed record.
import { OperationalError } from '../common/problems.js';
import { CLIENT_SASL_USER, QUORUM_SASL_USER } from '../plan/security.js';

const DIGEST = 'org.apache.zookeeper.server.auth.DigestLoginModule';

export interface JaasPasswords {
  quorumPassword?: string;
  clientPassword?: string;
}

/** JAAS's config parser reads quoted strings with escapes: a password is kept to what it reads literally. */
export function checkJaasValue(value: string): void {
  if (/["\\\r\n]/.test(value)) throw new OperationalError('a SASL password may not contain ", \\ or a line break (the JAAS file quotes it)');
}

export function jaasFile(p: JaasPasswords): string {
  const section = (name: string, options: [string, string][]) =>
    `${name} {\n  ${DIGEST} required\n${options.map(([k, v]) => `  ${k}="${v}"`).join('\n')};\n};\n`;
  const parts: string[] = [];
  if (p.quorumPassword !== undefined) {
    checkJaasValue(p.quorumPassword);
    parts.push(section('QuorumServer', [[`user_${QUORUM_SASL_USER}`, p.quorumPassword]]));
    parts.push(section('QuorumLearner', [['username', QUORUM_SASL_USER], ['password', p.quorumPassword]]));
  }
  if (p.clientPassword !== undefined) {
    checkJaasValue(p.clientPassword);
    parts.push(section('Server', [[`user_${CLIENT_SASL_USER}`, p.clientPassword]]));
  }
  return parts.join('');
}
