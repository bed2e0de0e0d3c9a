// Parsers for the answers of `srvr`, `mntr` and `conf`. Pure: text in, typed value out.

export class FourLetterParseError extends Error {
  override name = 'FourLetterParseError';
}

export type ZkMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';
const MODES: readonly ZkMode[] = ['leader', 'follower', 'observer', 'standalone', 'read-only'];

export interface Srvr {
  version: string;
  latency: { min: number; avg: number; max: number };
  received: number;
  sent: number;
  connections: number;
  outstanding: number;
  zxid: bigint;
  /** High 32 bits of the zxid: the leader epoch that produced the last transaction applied here. */
  epoch: number;
  /** Low 32 bits: transaction counter within that epoch. */
  counter: number;
  mode: ZkMode;
  nodeCount: number;
}

/** Also accepts `stat`, which is `srvr` plus a client list. */
export function parseSrvr(text: string): Srvr {
  const fields = colonFields(text);
  const get = (key: string): string => {
    const v = fields.get(key);
    if (v === undefined) throw new FourLetterParseError(`srvr: missing "${key}:" line`);
    return v;
  };
  const latency = get('Latency min/avg/max').split('/');
  if (latency.length !== 3) throw new FourLetterParseError(`srvr: bad latency "${get('Latency min/avg/max')}"`);
  const mode = get('Mode');
  if (!(MODES as readonly string[]).includes(mode)) throw new FourLetterParseError(`srvr: unknown mode "${mode}"`);
  const zxidText = get('Zxid');
  if (!/^0x[0-9a-f]+$/i.test(zxidText)) throw new FourLetterParseError(`srvr: bad zxid "${zxidText}"`);
  const zxid = BigInt(zxidText);
  return {
    version: get('Zookeeper version'),
    latency: { min: num(latency[0]!, 'latency min'), avg: num(latency[1]!, 'latency avg'), max: num(latency[2]!, 'latency max') },
    received: num(get('Received'), 'Received'),
    sent: num(get('Sent'), 'Sent'),
    connections: num(get('Connections'), 'Connections'),
    outstanding: num(get('Outstanding'), 'Outstanding'),
    zxid,
    ...splitZxid(zxid),
    mode: mode as ZkMode,
    nodeCount: num(get('Node count'), 'Node count'),
  };
}

export function splitZxid(zxid: bigint): { epoch: number; counter: number } {
  return { epoch: Number(zxid >> 32n), counter: Number(zxid & 0xffffffffn) };
}

export interface Mntr {
  values: ReadonlyMap<string, string>;
  serverState?: string;
  /** Leader only. Voting followers in sync; observers are not counted here. */
  syncedFollowers?: number;
  /** Leader only, 3.5+. Participants that sync but do not vote (e.g. mid-reconfig). */
  syncedNonVotingFollowers?: number;
  /** Leader only, 3.5+. */
  syncedObservers?: number;
  /** 3.6+: voting members in the server's current quorum configuration. */
  quorumSize?: number;
}

export function parseMntr(text: string): Mntr {
  const values = new Map<string, string>();
  for (const line of lines(text)) {
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new FourLetterParseError(`mntr: line without a tab: "${line}"`);
    values.set(line.slice(0, tab), line.slice(tab + 1));
  }
  if (!values.has('zk_version')) throw new FourLetterParseError('mntr: no zk_version line');
  const int = (key: string): number | undefined => {
    const v = values.get(key);
    return v === undefined ? undefined : num(v, key);
  };
  return dropUndefined({
    values,
    serverState: values.get('zk_server_state'),
    syncedFollowers: int('zk_synced_followers'),
    syncedNonVotingFollowers: int('zk_synced_non_voting_followers'),
    syncedObservers: int('zk_synced_observers'),
    quorumSize: int('zk_quorum_size'),
  });
}

export interface ConfServer {
  id: number;
  address: string;
  quorumPort: number;
  /** Absent in the 3.4 short form `server.N=host:port`. */
  electionPort?: number;
  role: 'participant' | 'observer';
  /** 3.5+ `;[clientAddress:]clientPort` suffix. */
  clientAddress?: string;
  clientPort?: number;
}

export interface Conf {
  values: ReadonlyMap<string, string>;
  servers: ConfServer[];
  serverId?: number;
  clientPort?: number;
}

/**
 * The `conf` answer (3.4: settings only; 3.5+: settings, `membership:`, `server.N=` lines,
 * `version=`) and zoo.cfg text both parse here, so a file read over SSH compares directly.
 */
export function parseConf(text: string): Conf {
  const values = new Map<string, string>();
  const servers: ConfServer[] = [];
  for (const line of lines(text)) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue; // "membership: " heading in 3.5+
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    values.set(key, value);
    const m = /^server\.(\d+)$/.exec(key);
    if (m) servers.push(parseServerLine(Number(m[1]), value));
  }
  servers.sort((a, b) => a.id - b.id);
  const int = (key: string): number | undefined => {
    const v = values.get(key);
    return v === undefined ? undefined : num(v, key);
  };
  return dropUndefined({ values, servers, serverId: int('serverId'), clientPort: int('clientPort') });
}

/** `host:quorum[:election[:role]][;[clientAddr:]clientPort]`; host may be `[v6]`. */
export function parseServerLine(id: number, value: string): ConfServer {
  const bad = (why: string): FourLetterParseError => new FourLetterParseError(`server.${id}=${value}: ${why}`);
  const [peerPart, clientPart, ...rest] = value.split(';');
  if (rest.length > 0) throw bad('more than one ";"');
  if (peerPart!.includes('|')) throw bad('multiple addresses (multiAddress) are not supported');
  const { host, rest: fields } = splitHost(peerPart!, bad);
  if (fields.length < 1 || fields.length > 3) throw bad('expected host:quorumPort[:electionPort[:role]]');
  const server: ConfServer = { id, address: host, quorumPort: port(fields[0]!, bad), role: 'participant' };
  if (fields[1] !== undefined) server.electionPort = port(fields[1], bad);
  if (fields[2] !== undefined) {
    if (fields[2] !== 'participant' && fields[2] !== 'observer') throw bad(`unknown role "${fields[2]}"`);
    server.role = fields[2];
  }
  if (clientPart !== undefined && clientPart !== '') {
    const c = clientPart.trim();
    if (/^\d+$/.test(c)) server.clientPort = port(c, bad);
    else {
      const { host: clientHost, rest: cf } = splitHost(c, bad);
      if (cf.length !== 1) throw bad('expected ;[clientAddress:]clientPort');
      server.clientAddress = clientHost;
      server.clientPort = port(cf[0]!, bad);
    }
  }
  return server;
}

function splitHost(s: string, bad: (why: string) => Error): { host: string; rest: string[] } {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw bad('unterminated [IPv6] address');
    return { host: s.slice(1, close), rest: s.slice(close + 2).split(':') };
  }
  const [host, ...rest] = s.split(':');
  if (!host) throw bad('empty host');
  return { host, rest };
}

function port(s: string, bad: (why: string) => Error): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw bad(`bad port "${s}"`);
  return n;
}

/** `Key: value` lines; continuation lines such as the `stat` client list have no colon-space. */
function colonFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of lines(text)) {
    const i = line.indexOf(': ');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 2).trim());
  }
  return fields;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

function num(s: string, what: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new FourLetterParseError(`${what}: not a number: "${s}"`);
  return n;
}

// exactOptionalPropertyTypes-friendly: optional fields are absent, not `undefined`.
function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
