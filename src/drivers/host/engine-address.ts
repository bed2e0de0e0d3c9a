// Where a host's Docker engine listens, and a client for it over the host's SSH connection.
// In order: the inventory's docker_host; the address found on an earlier run, remembered in the
// host's state_dir (read over SFTP, checked with a ping); else the login session's environment,
// read over SFTP from the SFTP server's own /proc/self/environ (sshd starts it through the login
// shell, like an exec, so it carries the same DOCKER_HOST, e.g. sshd's SetEnv or an rc file's
// export); else, where that cannot be trusted (a docker context in use, sshd's internal-sftp, no
// /proc), the session's docker CLI is asked once (one exec, about 0.4 s of login shell).
// A unix socket is reached through a forwarded channel (direct-streamlocal, no process on the
// host); anything else, or a server that refuses such channels, through `docker system dial-stdio`.
import { OperationalError } from '../../common/problems.js';
import { EngineClient } from '../../remote/engine-client.js';
import type { HostSession } from '../../remote/session.js';
import type { RemoteFiles } from '../../remote/sftp-files.js';

/** Relative to the host's state_dir; the leading dot keeps it apart from ensemble directories. */
export const ENGINE_ADDRESS_FILE = '.docker-host';

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';
const PING = { method: 'GET', path: '/_ping' } as const;

/** The engine address the host's docker CLI uses, printed by one command. */
export function engineAddressCommand(): string[] {
  return ['docker', 'context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'];
}

/** The engine's API on stdin/stdout, through the host's docker CLI (any address it can reach). */
export function dialStdioCommand(address: string): string[] {
  return ['docker', '--host', address, 'system', 'dial-stdio'];
}

export function socketPath(address: string): string | undefined {
  return address.startsWith('unix://') ? address.slice('unix://'.length) : undefined;
}

export interface EngineAccess {
  client: EngineClient;
  /** how it was found: inventory, remembered, the session's environment, the session's docker CLI */
  source: 'inventory' | 'remembered' | 'environment' | 'discovered';
}

/** What the SFTP server process of the login session shows of itself. */
export interface SessionProcess {
  /** /proc/self/cmdline (NUL-separated) */
  cmdline: string;
  /** /proc/self/environ (NUL-separated) */
  environ: string;
}

/**
 * The engine address the session's docker CLI would use, decided from the SFTP server's own
 * process, or undefined where only the CLI can tell: the process is not a separate sftp-server
 * (internal-sftp shows sshd's environment, not the session's), or a context may be in use
 * (DOCKER_CONTEXT, or a config that may name a current context).
 */
export function sessionEngineAddress(proc: SessionProcess, dockerConfig: string | undefined): string | undefined {
  if (!proc.cmdline.split('\0').some((arg) => /(^|\/)sftp-server$/.test(arg))) return undefined;
  const env = new Map<string, string>();
  for (const entry of proc.environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  const dockerHost = env.get('DOCKER_HOST');
  if (dockerHost) return dockerHost;
  if (env.get('DOCKER_CONTEXT') || env.get('DOCKER_CONFIG')) return undefined;
  if (dockerConfig !== undefined && /"currentContext"/.test(dockerConfig)) return undefined;
  return DEFAULT_SOCKET;
}

export async function engineFor(session: HostSession): Promise<EngineAccess> {
  const host = session.host;
  const label = host.name;
  if (host.dockerHost !== undefined) return { client: await clientFor(session, host.dockerHost), source: 'inventory' };

  const rememberedAt = `${host.stateDir.replace(/\/+$/, '')}/${ENGINE_ADDRESS_FILE}`;
  const files = session.files ? await session.files() : undefined;
  const remembered = (await files?.read(rememberedAt).catch(() => undefined))?.toString('utf8').trim();
  const socket = remembered ? socketPath(remembered) : undefined;
  if (remembered && socket !== undefined && session.dialUnix) {
    // No ping: the first request's stream tells whether the socket is still there.
    const dialer = () => session.dialUnix!(socket);
    return { client: EngineClient.trusting(label, dialer, remembered, async () => (await lookFor(session, files, rememberedAt)).client), source: 'remembered' };
  }
  return lookFor(session, files, rememberedAt);
}

/** The engine found afresh: the login session's environment, else its docker CLI; remembered for the next run. */
async function lookFor(session: HostSession, files: RemoteFiles | undefined, rememberedAt: string): Promise<EngineAccess> {
  const host = session.host;
  const label = host.name;
  const fromEnvironment = files ? await environmentAddress(files) : undefined;
  const environmentSocket = fromEnvironment ? socketPath(fromEnvironment) : undefined;
  if (fromEnvironment && environmentSocket !== undefined) {
    const client = await unixClient(session, environmentSocket, fromEnvironment);
    if (client) {
      await remember(files!, host.stateDir, rememberedAt, fromEnvironment);
      return { client, source: 'environment' };
    }
  }

  const asked = await session.run(engineAddressCommand(), { timeoutMs: 60_000 });
  if (asked.code !== 0) {
    throw new OperationalError(`${label}: cannot find the Docker engine (docker context inspect, exit ${asked.code}): ${asked.stderr.trim().split('\n')[0] ?? ''}`);
  }
  const address = asked.stdout.trim() || DEFAULT_SOCKET;
  const client = await clientFor(session, address);
  if (client.where === address && files) await remember(files, host.stateDir, rememberedAt, address);
  return { client, source: 'discovered' };
}

/** Best effort: a state_dir this login cannot write only costs the next run the same question. */
async function remember(files: RemoteFiles, stateDir: string, rememberedAt: string, address: string): Promise<void> {
  await files
    .mkdirp(stateDir)
    .then(() => files.write(rememberedAt, `${address}\n`, 0o644))
    .catch(() => undefined);
}

/** The session's engine address from the SFTP server's process (three reads in one round trip); undefined when unknown. */
async function environmentAddress(files: RemoteFiles): Promise<string | undefined> {
  const text = (b: Buffer | undefined) => b?.toString('utf8');
  const [cmdline, environ, config] = await Promise.all([
    files.read('/proc/self/cmdline').catch(() => undefined),
    files.read('/proc/self/environ').catch(() => undefined),
    // sftp-server starts in the login's home directory: a relative path is the user's config.
    files.read('.docker/config.json').catch(() => undefined),
  ]);
  if (cmdline === undefined || environ === undefined) return undefined;
  return sessionEngineAddress({ cmdline: text(cmdline)!, environ: text(environ)! }, text(config));
}

/** A unix socket through a forwarded channel when the server allows it and the engine answers there, else dial-stdio. */
async function clientFor(session: HostSession, address: string): Promise<EngineClient> {
  const socket = socketPath(address);
  const direct = socket !== undefined ? await unixClient(session, socket, address) : undefined;
  if (direct) return direct;
  const label = session.host.name;
  if (!session.execStream) throw new OperationalError(`${label}: cannot reach the Docker engine at ${address}`);
  const client = new EngineClient(label, () => session.execStream!(dialStdioCommand(address)), `${address} via docker system dial-stdio`);
  const r = await client.send(PING, 60_000).catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
  if (r.status !== 200) {
    throw new OperationalError(`${label}: cannot reach the Docker engine at ${address}, through a forwarded channel or docker system dial-stdio${r.status ? ` (${r.status})` : ''}: ${r.body.toString('utf8').trim()}`);
  }
  return client;
}

async function unixClient(session: HostSession, socket: string, address: string): Promise<EngineClient | undefined> {
  if (!session.dialUnix) return undefined;
  const client = new EngineClient(session.host.name, () => session.dialUnix!(socket), address);
  const r = await client.send(PING, 10_000).catch(() => undefined);
  return r?.status === 200 ? client : undefined;
}
