// A short ZooKeeper session as the super user: read the committed configuration and send
// `reconfig`. The same connection as every check's session (src/verify/zk-connection.ts), so it
// reaches a server through the SSH tunnel (and TLS) like they do. The password goes only into
// the auth packet's body.
import type { Dial } from './dial.js';
import { AUTH_XID, configVersion, digestAuthRequest, errorName, getDataRequest, reconfigRequest, replyData, ZK_ERROR, type ReconfigChange, type Reply } from './jute.js';
import { ZkConnection } from './zk-connection.js';

export const CONFIG_NODE = '/zookeeper/config';

export class ZkRequestError extends Error {
  override name = 'ZkRequestError';
  constructor(
    readonly where: string,
    readonly what: string,
    readonly code: number,
  ) {
    super(`${where}: ${what}: ${errorName(code)}`);
  }
}

export interface CommittedConfig {
  text: string;
  version: bigint;
}

export interface AdminSession {
  /** `/zookeeper/config`: the configuration the ensemble committed last, with its version */
  config(): Promise<CommittedConfig>;
  /** one incremental reconfig, checked against `fromVersion`; resolves to the new configuration */
  reconfig(change: ReconfigChange, fromVersion: bigint): Promise<CommittedConfig>;
  close(): void;
}

/** Opens a session at `address:port` and authenticates as `super`; every exchange is bounded by `timeoutMs`. */
export async function openAdminSession(dial: Dial, address: string, port: number, password: string, timeoutMs: number): Promise<AdminSession> {
  const conn = await ZkConnection.open(dial, address, port, timeoutMs);
  const where = conn.where;
  try {
    const auth = await conn.send('authenticate', () => digestAuthRequest('super', password), AUTH_XID);
    if (auth.err !== ZK_ERROR.ok) throw new ZkRequestError(where, 'authenticate as super', auth.err);
  } catch (err) {
    void conn.close();
    throw err;
  }
  const request = async (what: string, packet: (x: number) => Buffer): Promise<Reply> => {
    const reply = await conn.send(what, packet);
    if (reply.err !== ZK_ERROR.ok) throw new ZkRequestError(where, what, reply.err);
    return reply;
  };
  const committed = (text: string, what: string): CommittedConfig => {
    const version = configVersion(text);
    if (version === undefined) throw new Error(`${where}: ${what}: no version= line in ${JSON.stringify(text)}`);
    return { text, version };
  };
  return {
    async config() {
      const reply = await request(`read ${CONFIG_NODE}`, (x) => getDataRequest(x, CONFIG_NODE));
      return committed(replyData(reply.body).toString('utf8'), `read ${CONFIG_NODE}`);
    },
    async reconfig(change, fromVersion) {
      const what = `reconfig${change.joining?.length ? ` -add ${change.joining.join(',')}` : ''}${change.leaving?.length ? ` -remove ${change.leaving.join(',')}` : ''} -v ${fromVersion.toString(16)}`;
      const reply = await request(what, (x) => reconfigRequest(x, change, fromVersion));
      return committed(replyData(reply.body).toString('utf8'), what);
    },
    close: () => void conn.close(),
  };
}
