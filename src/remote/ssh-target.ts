// Where and as whom to connect for one inventory host. The inventory's ssh settings win over
// ~/.ssh/config, which wins over OpenSSH's defaults. resolveSshTargetFrom() is pure; the file
// system is only touched by resolveSshTarget() at the edge.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host, SshSettings } from '../inventory/types.js';
import { OperationalError } from '../common/problems.js';
import { lookupSshConfig, parseSshConfig, type SshConfigValues } from './ssh-config.js';
import type SSHConfig from 'ssh-config';

export interface SshTarget {
  /** The name used in messages: the inventory host name, or the jump host as written. */
  hostName: string;
  /** What to connect to (ssh_config HostName, else the inventory address). */
  address: string;
  port: number;
  user: string;
  identityFiles: string[];
  agentSocket?: string;
  jump?: SshTarget;
  knownHostsFiles: string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface ResolveContext {
  configText: string;
  env: Env;
  homeDir: string;
  localUser: string;
  fileExists(file: string): boolean;
}

export interface ResolveOptions {
  sshConfigPath?: string;
  env?: Env;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const MAX_JUMP_DEPTH = 8;

export function resolveSshTarget(host: Host, opts: ResolveOptions = {}): SshTarget {
  const env = opts.env ?? process.env;
  const homeDir = env.HOME || os.homedir();
  const configPath = opts.sshConfigPath ?? path.join(homeDir, '.ssh', 'config');
  let configText = '';
  try {
    configText = readFileSync(configPath, 'utf8');
  } catch (err) {
    // A missing default config is normal; a config the user named explicitly must exist.
    if (opts.sshConfigPath !== undefined || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new OperationalError(`cannot read ssh config ${configPath}: ${(err as Error).message}`);
    }
  }
  return resolveSshTargetFrom(host, { configText, env, homeDir, localUser: localUserName(env), fileExists: existsSync });
}

function localUserName(env: Env): string {
  if (env.USER) return env.USER;
  if (env.LOGNAME) return env.LOGNAME;
  try {
    return os.userInfo().username;
  } catch {
    return 'root';
  }
}

export function resolveSshTargetFrom(host: Host, ctx: ResolveContext): SshTarget {
  const config = parseSshConfig(ctx.configText);
  return resolve(host.name, host.address, host.ssh, config, ctx, 0);
}

function resolve(
  name: string,
  address: string,
  ssh: SshSettings,
  config: SSHConfig,
  ctx: ResolveContext,
  depth: number,
): SshTarget {
  if (depth > MAX_JUMP_DEPTH) throw new OperationalError(`${name}: jump hosts nest more than ${MAX_JUMP_DEPTH} deep (a ProxyJump loop?)`);
  const candidates = name === address ? [name] : [name, address];
  const cfg = lookupSshConfig(config, { candidates, user: ssh.user, localUser: ctx.localUser });
  const first = (key: string): string | undefined => cfg.get(key)?.[0];

  const port = ssh.port ?? parsePort(first('port'), name);
  const user = ssh.user ?? first('user') ?? ctx.localUser;
  const hostNameSetting = first('hostname');
  const tokens = { home: ctx.homeDir, localUser: ctx.localUser, originalHost: address, host: address, port, user };
  const connectTo = hostNameSetting !== undefined ? expandTokens(hostNameSetting, tokens) : address;
  const expand = (file: string) => expandPath(file, { ...tokens, host: connectTo });

  const target: SshTarget = {
    hostName: name,
    address: connectTo,
    port,
    user,
    identityFiles: identityFiles(ssh, cfg, ctx, expand),
    knownHostsFiles: knownHostsFiles(ssh, cfg, ctx, expand),
  };
  const agent = agentSocket(cfg, ctx.env, expand);
  if (agent !== undefined) target.agentSocket = agent;

  const jumpSpec = ssh.jump ?? first('proxyjump');
  if (jumpSpec !== undefined && jumpSpec.toLowerCase() !== 'none') {
    target.jump = resolveJumpChain(jumpSpec, ssh, config, ctx, depth);
  }
  return target;
}

/**
 * `a,b` means: reach b through a, then the target through b. The jump hosts inherit the
 * inventory's identity file and known_hosts file (one deploy, one trust store) but not its
 * user or port, which belong to the target.
 */
function resolveJumpChain(spec: string, ssh: SshSettings, config: SSHConfig, ctx: ResolveContext, depth: number): SshTarget {
  const hops = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  let previous: SshTarget | undefined;
  for (const hop of hops) {
    const parsed = parseJumpSpec(hop);
    const inherited: SshSettings = {};
    if (parsed.user !== undefined) inherited.user = parsed.user;
    if (parsed.port !== undefined) inherited.port = parsed.port;
    if (ssh.identity_file !== undefined) inherited.identity_file = ssh.identity_file;
    if (ssh.known_hosts !== undefined) inherited.known_hosts = ssh.known_hosts;
    // The chain itself decides how this hop is reached; its own ProxyJump only applies to the first hop.
    if (previous !== undefined) inherited.jump = 'none';
    const target = resolve(parsed.host, parsed.host, inherited, config, ctx, depth + 1);
    if (previous !== undefined) target.jump = previous;
    previous = target;
  }
  if (previous === undefined) throw new OperationalError(`empty jump host specification '${spec}'`);
  return previous;
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpSpec(spec: string): JumpSpec {
  let rest = spec.startsWith('ssh://') ? spec.slice('ssh://'.length).replace(/\/$/, '') : spec;
  const result: JumpSpec = { host: '' };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    result.user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(rest);
  const m = bracketed ?? plain;
  if (!m || (result.user !== undefined && result.user === '')) {
    throw new OperationalError(`invalid jump host '${spec}': expected [user@]host[:port]`);
  }
  result.host = m[1]!;
  if (m[2] !== undefined) result.port = parsePort(m[2], spec)!;
  return result;
}

function parsePort(value: string | undefined, where: string): number {
  if (value === undefined) return 22;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new OperationalError(`${where}: invalid ssh port '${value}'`);
  }
  return port;
}

function identityFiles(ssh: SshSettings, cfg: SshConfigValues, ctx: ResolveContext, expand: (f: string) => string): string[] {
  if (ssh.identity_file !== undefined) return [expand(ssh.identity_file)];
  const configured = cfg.get('identityfile');
  if (configured !== undefined && configured.length > 0) return configured.map(expand);
  return DEFAULT_KEYS.map((k) => path.join(ctx.homeDir, '.ssh', k)).filter((f) => ctx.fileExists(f));
}

function knownHostsFiles(ssh: SshSettings, cfg: SshConfigValues, ctx: ResolveContext, expand: (f: string) => string): string[] {
  if (ssh.known_hosts !== undefined) return [expand(ssh.known_hosts)];
  const configured = cfg.get('userknownhostsfile');
  if (configured !== undefined) return configured[0]?.toLowerCase() === 'none' ? [] : configured.map(expand);
  return [path.join(ctx.homeDir, '.ssh', 'known_hosts')];
}

function agentSocket(cfg: SshConfigValues, env: Env, expand: (f: string) => string): string | undefined {
  const setting = cfg.get('identityagent')?.[0];
  if (setting === undefined || setting === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || undefined;
  if (setting.toLowerCase() === 'none') return undefined;
  if (setting.startsWith('$')) return env[setting.slice(1).replace(/^\{(.*)\}$/, '$1')] || undefined;
  return expand(setting);
}

interface Tokens {
  home: string;
  localUser: string;
  originalHost: string;
  host: string;
  port: number;
  user: string;
}

/** The ssh_config TOKENS subset that makes sense without a live connection. */
function expandTokens(value: string, t: Tokens): string {
  return value.replace(/%([%dhnpru])/g, (_, token: string) => {
    switch (token) {
      case '%': return '%';
      case 'd': return t.home;
      case 'h': return t.host;
      case 'n': return t.originalHost;
      case 'p': return String(t.port);
      case 'r': return t.user;
      default: return t.localUser; // 'u'
    }
  });
}

function expandPath(file: string, t: Tokens): string {
  const expanded = expandTokens(file, t);
  if (expanded === '~') return t.home;
  if (expanded.startsWith('~/')) return path.join(t.home, expanded.slice(2));
  return expanded;
}
