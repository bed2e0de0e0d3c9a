// Lab API for zkplan's multi-host tests: simulated Docker hosts (network namespaces with their
// own dockerd + sshd, made by lab.sh) and the locally built ZooKeeper images.
// Test harness only; needs root. See test/lab/README.md.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { Dial } from '../../src/verify/dial.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const LAB_SH = path.join(HERE, 'lab.sh');
export const BUILD_IMAGES_SH = path.join(HERE, 'build-images.sh');
/** ZKPLAN_LAB_ID (0-9) selects one of several labs that can run side by side; see lab.sh. */
export const LAB_ID = process.env.ZKPLAN_LAB_ID ?? '0';
export const LAB_DIR = process.env.ZKPLAN_LAB_DIR ?? `/tmp/zkplan-lab${LAB_ID === '0' ? '' : `-${LAB_ID}`}`;

export const IMAGES = {
  aliyun: 'zkplan-lab/aliyun-contract:latest',
  official: 'zkplan-lab/zookeeper:3.8.0',
  /** the 3.9/debian-12 line: ALLOW_EMPTY_PASSWORD gate; `:3.8` is the ALLOW_ANONYMOUS_LOGIN line */
  bitnami: 'zkplan-lab/bitnami-contract:3.9',
} as const;

export interface LabHost {
  name: string;
  address: string;
  dockerSocket: string;
  netns: string;
}

/** The content of lab.json written by `lab.sh up`. */
export interface LabInfo {
  stateDir: string;
  bridge: string;
  hosts: LabHost[];
  sshKey: string;
  knownHosts: string;
  sshConfig: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Resolve with the result instead of rejecting when the exit code is not 0. */
  allowFail?: boolean;
  /** Data for the child's stdin. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    super(`${argv.join(' ')} exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'CommandError';
  }
}

export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return start(argv, opts).done;
}

/** Like run(), but hands back the child at once (for commands a test runs side by side). */
export function start(argv: readonly string[], opts: ExecOptions & { cwd?: string } = {}): { child: ChildProcess; done: Promise<ExecResult> } {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new TypeError('run: empty argv');
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const done = new Promise<ExecResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !opts.allowFail) reject(new CommandError(argv, result));
      else resolve(result);
    });
    // A child that exits without reading its stdin must not crash the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
  return { child, done };
}

export const REPO_ROOT = path.resolve(HERE, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** bin/zkplan.js runs dist/bundle/: rebuild it (npm run build) when any source is newer than the last build. */
export async function ensureBuilt(): Promise<void> {
  const main = path.join(REPO_ROOT, 'dist', 'bundle', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'src'))) return;
  await run(['npm', '--prefix', REPO_ROOT, 'run', '--silent', 'build'], { timeoutMs: 300_000 });
}

/**
 * Start the built CLI the way an operator runs it (`zkplan args…`), from the repository root.
 * Never rejects on a non-zero exit: tests assert on the code. Call ensureBuilt() first.
 */
export function startZkplan(args: readonly string[], opts: ExecOptions = {}): { child: ChildProcess; done: Promise<ExecResult> } {
  return start([process.execPath, path.join(REPO_ROOT, 'bin', 'zkplan.js'), ...args], { ...opts, allowFail: true, cwd: REPO_ROOT });
}

export function zkplanCli(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return startZkplan(args, opts).done;
}

/** Quote one word for a POSIX shell (the remote side of ssh). */
import { shellQuote } from '../../src/common/shell.js';
export { shellQuote };

export interface InventoryOptions {
  profile: keyof typeof IMAGES;
  /** How many lab hosts to list (default: all). */
  hosts?: number;
  ensembleName?: string;
  /** Extra keys merged into the ensemble entry (override the defaults). */
  extra?: Record<string, unknown>;
  /** Flag h1 `swarm: manager` and the other hosts `swarm: worker` (see swarmUp). */
  swarm?: boolean;
  /** Replaces the default labels of host hostIndex (1-based); undefined keeps the default. */
  labels?: (hostIndex: number) => Record<string, string | number> | undefined;
}

export class Lab {
  constructor(readonly info: LabInfo) {}

  get hosts(): LabHost[] {
    return this.info.hosts;
  }

  get addresses(): string[] {
    return this.info.hosts.map((h) => h.address);
  }

  /** hostIndex is 1-based, like the host names h1..hN. */
  host(hostIndex: number): LabHost {
    const h = this.info.hosts[hostIndex - 1];
    if (!h) throw new RangeError(`lab has hosts 1..${this.info.hosts.length}, not ${hostIndex}`);
    return h;
  }

  /** Run the docker CLI against host hostIndex's daemon socket directly (no ssh). */
  docker(hostIndex: number, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = { ...process.env, ...opts.env, DOCKER_HOST: `unix://${this.host(hostIndex).dockerSocket}` };
    return run(['docker', ...args], { ...opts, env });
  }

  /**
   * Run a command on host hostIndex over the lab's OpenSSH config (host keys checked against
   * the lab known_hosts). A string is passed to the remote shell as is; an array is quoted word
   * by word.
   */
  ssh(hostIndex: number, command: string | readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const remote = typeof command === 'string' ? command : command.map(shellQuote).join(' ');
    return run(['ssh', '-F', this.info.sshConfig, this.host(hostIndex).name, remote], opts);
  }

  /** The host containers zkplan made for an ensemble (found by its label). */
  async ensembleContainers(hostIndex: number, ensemble: string): Promise<string[]> {
    const r = await this.docker(hostIndex, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${ensemble}`], { allowFail: true });
    return r.stdout.trim().split('\n').filter(Boolean);
  }

  /**
   * Everything an ensemble from writeInventory left: its containers (and their anonymous
   * volumes) on every host, zkplan's records and locks, and the servers' host data.
   */
  async removeEnsemble(ensemble: string): Promise<void> {
    await Promise.all(
      this.hosts.map(async (h, k) => {
        const ids = await this.ensembleContainers(k + 1, ensemble);
        if (ids.length) await this.docker(k + 1, ['rm', '-f', '-v', ...ids], { allowFail: true });
        const state = path.join(this.info.stateDir, h.name, 'zkplan');
        await rm(path.join(state, ensemble), { recursive: true, force: true });
        await rm(path.join(state, 'locks', ensemble), { recursive: true, force: true });
      }),
    );
    await rm(path.join(this.info.stateDir, 'hostdata', ensemble), { recursive: true, force: true });
  }

  /**
   * Write a zkplan inventory for this lab. Hosts share the machine's root filesystem, so one
   * data_dir is shared by all hosts; the planner's per-server subdirectory
   * (<data_dir>/<ensemble>/<id>) keeps their data apart.
   */
  async writeInventory(file: string, opts: InventoryOptions): Promise<string> {
    const n = opts.hosts ?? this.info.hosts.length;
    if (n < 1 || n > this.info.hosts.length) throw new RangeError(`hosts must be 1..${this.info.hosts.length}`);
    const ensemble: Record<string, unknown> = {
      name: opts.ensembleName ?? 'zk',
      servers: Math.min(3, n),
      observers: 0,
      image: IMAGES[opts.profile],
      profile: opts.profile,
      // The lab's aliyun image emulates 3.4.8 and its tag carries no version.
      ...(opts.profile === 'aliyun' ? { zookeeper_version: '3.4' } : {}),
      network: 'host',
      data_dir: path.join(this.info.stateDir, 'hostdata'),
      placement: { pin_label: 'aliyun.node_index', spread_label: 'zone' },
      ...opts.extra,
    };
    const doc = new YAML.Document({
      ssh: { user: 'root', port: 22, identity_file: this.info.sshKey, known_hosts: this.info.knownHosts },
      hosts: this.info.hosts.slice(0, n).map((h, i) => ({
        name: h.name,
        address: h.address,
        labels: opts.labels?.(i + 1) ?? { 'aliyun.node_index': i + 1, zone: `z${(i % 3) + 1}` },
        ...(opts.swarm ? { swarm: i === 0 ? 'manager' : 'worker' } : {}),
        // Lab hosts share one root filesystem: each needs its own zkplan state (deploy
        // records, locks), as separate machines would have.
        state_dir: path.join(this.info.stateDir, h.name, 'zkplan'),
      })),
      ensembles: [ensemble],
    });
    // Flow style for the short maps keeps the file as readable as a hand-written inventory.
    const ssh = doc.get('ssh', true);
    if (YAML.isMap(ssh)) ssh.flow = true;
    const hosts = doc.get('hosts', true);
    if (YAML.isSeq(hosts)) for (const item of hosts.items) if (YAML.isMap(item)) item.flow = true;
    await mkdir(path.dirname(file), { recursive: true });
    const text = `# zkplan lab inventory (generated by test/lab/lab.ts)\n${doc.toString()}`;
    await writeFile(file, text);
    return text;
  }
}

export async function readLabInfo(stateDir = LAB_DIR): Promise<LabInfo | undefined> {
  const file = path.join(stateDir, 'lab.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as LabInfo;
}

async function imagesPresent(lab: Lab): Promise<boolean> {
  const checks = lab.hosts.map((_, i) =>
    lab.docker(i + 1, ['image', 'inspect', ...Object.values(IMAGES)], { allowFail: true }),
  );
  return (await Promise.all(checks)).every((r) => r.code === 0);
}

/**
 * Bring up an n-host lab with the lab images loaded. A running lab with the same n is reused
 * (its containers are left alone; tests remove what they start).
 */
export async function labUp(n: number): Promise<Lab> {
  const existing = await readLabInfo();
  let lab: Lab | undefined;
  if (existing && existing.hosts.length === n) {
    const status = await run(['bash', LAB_SH, 'status'], { allowFail: true });
    if (status.code === 0) lab = new Lab(existing);
  }
  if (!lab) {
    const up = await run(['bash', LAB_SH, 'up', String(n)], { allowFail: true });
    if (up.code !== 0) throw new CommandError(['lab.sh', 'up', String(n)], up);
    const info = await readLabInfo();
    if (!info) throw new Error(`lab.sh up ${n} wrote no lab.json in ${LAB_DIR}`);
    lab = new Lab(info);
  }
  if (!(await imagesPresent(lab))) {
    await run(['bash', BUILD_IMAGES_SH, 'load']);
  }
  return lab;
}

/**
 * Make the lab's hosts one Swarm: h1 initialises it (advertising its lab address) and is the
 * manager, every other host joins as a worker. An existing Swarm of exactly these nodes is
 * reused; anything else is left first (lab.sh down also leaves the Swarm).
 * The address pool keeps overlay subnets clear of the lab bridge's 10.20<ID>.0.0/24.
 */
export async function swarmUp(lab: Lab): Promise<void> {
  const state = await Promise.all(
    lab.hosts.map((_, i) => lab.docker(i + 1, ['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'], { allowFail: true })),
  );
  const managerOk = state[0]?.stdout.trim() === 'active true';
  if (managerOk) {
    const nodes = await lab.docker(1, ['node', 'ls', '--format', '{{.Status}}']);
    const statuses = nodes.stdout.trim().split('\n');
    if (statuses.length === lab.hosts.length && statuses.every((s) => s === 'Ready')) return;
  }
  await Promise.all(lab.hosts.map((_, i) => lab.docker(i + 1, ['swarm', 'leave', '--force'], { allowFail: true })));
  const manager = lab.host(1).address;
  const pool = `10.21${LAB_ID}.0.0/16`;
  await lab.docker(1, ['swarm', 'init', '--advertise-addr', manager, '--listen-addr', `${manager}:2377`, '--default-addr-pool', pool]);
  const token = (await lab.docker(1, ['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
  await Promise.all(
    lab.hosts.slice(1).map((h, i) =>
      lab.docker(i + 2, ['swarm', 'join', '--advertise-addr', h.address, '--listen-addr', `${h.address}:2377`, '--token', token, `${manager}:2377`]),
    ),
  );
  // Joining returns before the manager lists the node as Ready.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const nodes = await lab.docker(1, ['node', 'ls', '--format', '{{.Status}}']);
    const statuses = nodes.stdout.trim().split('\n');
    if (statuses.length === lab.hosts.length && statuses.every((s) => s === 'Ready')) return;
    if (Date.now() > deadline) throw new Error(`swarm nodes not Ready after 60 s: ${nodes.stdout.trim()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function labDown(): Promise<void> {
  await run(['bash', LAB_SH, 'down']);
}

/** Send a four-letter word and return the whole reply ('' if nothing answered in time). */
export function fourLetterWord(address: string, word: string, port = 2181, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const sock = net.connect({ host: address, port });
    const done = () => {
      sock.destroy();
      resolve(reply);
    };
    sock.setTimeout(timeoutMs, done);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.end(word));
    sock.on('data', (d: string) => (reply += d));
    sock.on('error', () => resolve(reply));
    sock.on('close', () => resolve(reply));
  });
}

/** The `Mode:` of a server from `srvr` (leader, follower, observer, standalone), or null if down. */
export async function srvrMode(address: string, port = 2181): Promise<string | null> {
  const reply = await fourLetterWord(address, 'srvr', port);
  const m = /^Mode: (\S+)/m.exec(reply);
  return m?.[1] ?? null;
}

export interface QuorumState {
  leader: string;
  followers: string[];
  modes: Record<string, string | null>;
  elapsedMs: number;
}

/**
 * Poll `srvr` on every address until exactly one is leader and all others are followers
 * (or observers). Rejects with the last seen modes after timeoutMs.
 */
export async function waitForQuorum(addresses: readonly string[], timeoutMs = 30_000, port = 2181): Promise<QuorumState> {
  const start = Date.now();
  let modes: Record<string, string | null> = {};
  for (;;) {
    const seen = await Promise.all(addresses.map((a) => srvrMode(a, port)));
    modes = Object.fromEntries(addresses.map((a, i) => [a, seen[i] ?? null]));
    const leaders = addresses.filter((a) => modes[a] === 'leader');
    const followers = addresses.filter((a) => modes[a] === 'follower');
    const observers = addresses.filter((a) => modes[a] === 'observer');
    if (leaders.length === 1 && leaders.length + followers.length + observers.length === addresses.length) {
      return { leader: leaders[0]!, followers, modes, elapsedMs: Date.now() - start };
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`no quorum after ${timeoutMs} ms: ${JSON.stringify(modes)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// node-zookeeper-client's callback API, only the calls the writer below needs.
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: 'connected' | 'expired', listener: () => void): void;
  on(event: 'expired', listener: () => void): void;
  create(path: string, data: Buffer, cb: (err: (Error & { getCode?: () => number }) | null) => void): void;
  mkdirp(path: string, cb: (err: Error | null) => void): void;
  getChildren(path: string, cb: (err: Error | null, children: string[]) => void): void;
}
const NODE_EXISTS = -110;

async function zkClient(servers: readonly string[], timeoutMs: number): Promise<ZkClient> {
  const zookeeper = (await import('./zk-client.js')).default as unknown as {
    createClient(connect: string, opts: object): ZkClient;
  };
  const client = zookeeper.createClient(servers.join(','), { sessionTimeout: 30_000, spinDelay: 200, retries: 0 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no ZooKeeper session with ${servers.join(',')} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

function zkCall<T>(timeoutMs: number, startCall: (cb: (err: (Error & { getCode?: () => number }) | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ZooKeeper call timed out after ${timeoutMs} ms`)), timeoutMs);
    startCall((err, value) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

export interface ZnodeWriter {
  /** Paths whose create the ensemble acknowledged (or that a retry found already there). */
  readonly acknowledged: string[];
  /** Failed attempts (connection loss, timeouts) that were retried. */
  readonly retries: number;
  /** The longest time between two acknowledged writes (from the start to the first, and from the last to stop, included), in ms. */
  readonly longestGapMs: number;
  stop(): Promise<void>;
}

/**
 * Keeps creating znodes <root>/n000000, n000001, … through the ensemble (servers are
 * "address:port"), one at a time, until stopped. A create that fails is retried under the
 * same name, so NODE_EXISTS on a retry means the earlier attempt did land.
 */
export async function startZnodeWriter(servers: readonly string[], root: string, pauseMs = 20): Promise<ZnodeWriter> {
  const acknowledged: string[] = [];
  let retries = 0;
  let stopping = false;
  let lastAck = Date.now();
  let longestGapMs = 0;
  const ack = () => {
    const now = Date.now();
    longestGapMs = Math.max(longestGapMs, now - lastAck);
    lastAck = now;
  };
  let client = await zkClient(servers, 60_000);
  let expired = false;
  client.on('expired', () => (expired = true));
  await zkCall<void>(30_000, (cb) => client.mkdirp(root, (e) => cb(e)));
  const loop = (async () => {
    for (let i = 0; !stopping; ) {
      const p = `${root}/n${String(i).padStart(6, '0')}`;
      try {
        if (expired) {
          client.close();
          client = await zkClient(servers, 30_000);
          expired = false;
          client.on('expired', () => (expired = true));
        }
        await zkCall<void>(10_000, (cb) =>
          client.create(p, Buffer.from(p), (e) => cb(e && e.getCode?.() === NODE_EXISTS ? null : e)),
        );
        acknowledged.push(p);
        ack();
        i++;
        await new Promise((r) => setTimeout(r, pauseMs));
      } catch {
        retries++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return {
    acknowledged,
    get retries() {
      return retries;
    },
    get longestGapMs() {
      return longestGapMs;
    },
    async stop() {
      stopping = true;
      await loop;
      ack();
      client.close();
    },
  };
}

/** The children of a znode, read through the ensemble (servers are "address:port"). */
export async function znodeChildren(servers: readonly string[], path: string, timeoutMs = 60_000): Promise<string[]> {
  const client = await zkClient(servers, timeoutMs);
  try {
    return await zkCall<string[]>(timeoutMs, (cb) => client.getChildren(path, (e, children) => cb(e, children)));
  } finally {
    client.close();
  }
}

/**
 * One `zkplan` run (the built CLI; `args` e.g. `['apply', file]`) while a znode writer writes
 * through `writeVia` under `root`: asserts that it succeeded, that the writer wrote and that no
 * acknowledged write is missing afterwards. Returns its result and a line with the time, the
 * longest write outage and the writes checked.
 */
export async function writingApply(args: readonly string[], label: string, writeVia: readonly string[], root: string): Promise<{ result: ExecResult; line: string }> {
  const writer = await startZnodeWriter(writeVia, root);
  const started = Date.now();
  let result: ExecResult;
  try {
    result = await startZkplan(args).done;
  } finally {
    await new Promise((res) => setTimeout(res, 500));
    await writer.stop();
  }
  const took = (Date.now() - started) / 1000;
  assert.equal(result.code, 0, `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  const children = new Set(await znodeChildren(writeVia, root));
  const lost = writer.acknowledged.filter((p) => !children.has(path.posix.basename(p)));
  assert.deepEqual(lost, [], `acknowledged writes lost during ${label}`);
  assert.ok(writer.acknowledged.length > 0, 'the writer wrote during the apply');
  const line = `${label}: ${took.toFixed(1)} s, longest write outage ${(writer.longestGapMs / 1000).toFixed(1)} s, ${writer.acknowledged.length} acknowledged writes checked (${writer.retries} retried attempts)`;
  return { result, line };
}

/** zkplan from the sources (no stale dist), inside the host's network namespace, talking to its dockerd (`up --local`, `down`). */
export function zkplanInNetns(host: LabHost, args: string[]): Promise<ExecResult> {
  const entry = `const m = await import(${JSON.stringify(path.join(REPO_ROOT, 'src/cli/main.ts'))}); process.exitCode = await m.runCli(process.argv.slice(1));`;
  return run(['nsenter', `--net=/run/netns/${host.netns}`, 'node', '--import', 'tsx', '--input-type=module', '-e', entry, '--', ...args], {
    allowFail: true,
    env: { ...process.env, DOCKER_HOST: `unix://${host.dockerSocket}` },
    timeoutMs: 400_000,
  });
}

/** A TCP stream to address:port as seen from inside the host's namespace (nc's stdio as a Duplex). */
export function netnsDial(host: LabHost): Dial {
  return async (address, port) => {
    const child = spawn('nsenter', [`--net=/run/netns/${host.netns}`, 'nc', address, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    stream.on('close', () => child.kill());
    child.on('exit', () => stream.destroy());
    return stream;
  };
}

/** Sends a four-letter word over a stream from `dial` (e.g. a TLS one); '' when nothing answered. */
export async function wordOver(dial: Dial, address: string, port: number, word: string): Promise<string> {
  const stream = await dial(address, port);
  return new Promise((resolve) => {
    let reply = '';
    const timer = setTimeout(() => done(), 5000);
    const done = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve(reply);
    };
    stream.on('data', (d: Buffer) => (reply += d.toString()));
    stream.on('end', done);
    stream.on('error', done);
    stream.write(word);
  });
}

/** `openssl s_client` to address:port with zkplan's client certificate, verified against its CA and the address; stdout + stderr. */
export async function opensslHandshake(tlsDir: string, address: string, port: number): Promise<string> {
  const r = await run(
    ['openssl', 's_client', '-connect', `${address}:${port}`, '-CAfile', path.join(tlsDir, 'ca.pem'), '-verify_ip', address, '-verify_return_error', '-cert', path.join(tlsDir, 'zkplan-client.pem'), '-key', path.join(tlsDir, 'zkplan-client.key')],
    { input: '', allowFail: true, timeoutMs: 20_000 },
  );
  return r.stdout + r.stderr;
}
