// A Swarm held in memory, reached through HostSessions, for the Swarm driver's orchestration
// tests: the manager answers the Swarm commands zkplan sends (info, nodes, the stack's services
// and tasks, stack deploy, scale, node labels), each node answers which of its containers run,
// and each node's client port answers four-letter words as the ZooKeeper server of the task
// running there would. Like Swarm, relabelling a node reschedules a running task whose
// placement no longer holds, with the configuration it has: what zkplan must never let happen.
import type { Duplex } from 'node:stream';
import YAML from 'yaml';
import type { Host } from '../../../src/inventory/types.js';
import type { FileToPut, HostSession, RunResult } from '../../../src/remote/session.js';
import type { ZnodeCheck, ZnodeTarget } from '../../../src/verify/znode.js';
import { answering, srvrText, znodeRoundTrip } from './fake-target.js';

interface Node {
  id: string;
  hostname: string;
  address: string;
  labels: Record<string, string>;
}

interface Service {
  name: string;
  serverId: number;
  hash: string;
  constraint: string;
  replicas: number;
  /** hostname of the node running its task, when it runs */
  task?: string;
}

const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

export class FakeSwarm {
  readonly nodes: Node[];
  readonly services = new Map<string, Service>();
  readonly files = new Map<string, string>();
  /** every change, in order: `deploy zk_zk3`, `scale zk_zk3=0`, `label h4 +k=v`, `reschedule ...` */
  readonly ops: string[] = [];
  private leader: number | undefined;

  constructor(
    hosts: readonly Host[],
    labels: Record<string, Record<string, string>>,
    private readonly voters: number,
  ) {
    this.nodes = hosts.map((h) => ({ id: `id-${h.name}`, hostname: h.name, address: h.address, labels: { ...labels[h.name] } }));
  }

  sessions(hosts: readonly Host[]): Map<string, HostSession> {
    return new Map(hosts.map((h) => [h.name, this.session(h)]));
  }

  /** service name → node of its running task */
  placement(): Record<string, string> {
    return Object.fromEntries([...this.services.values()].filter((s) => s.task !== undefined).map((s) => [s.name, s.task!]));
  }

  private session(host: Host): HostSession {
    return {
      host,
      run: async (argv) => this.run(host, argv),
      putFiles: async (files: readonly FileToPut[]) => {
        for (const f of files) this.files.set(f.path, f.content.toString());
      },
      readFile: async (path) => (this.files.has(path) ? Buffer.from(this.files.get(path)!) : undefined),
      dial: async (_address, port) => this.dial(host, port),
      close: async () => {},
    };
  }

  private run(host: Host, argv: readonly string[]): RunResult {
    const [a0, a1, a2] = argv;
    const batch = a0 === 'sh' && a1 === '-c' ? this.batch(host, a2!) : undefined;
    if (batch) return batch;
    const script = a0 === 'sh' ? argv[3] : undefined;
    if (a0 === 'docker' && a1 === 'info') return ok(JSON.stringify({ LocalNodeState: 'active', ControlAvailable: true }));
    if (a0 === 'sh' && a2?.includes('docker node inspect')) return ok(JSON.stringify(this.nodes.map((n) => ({ ID: n.id, Spec: { Labels: n.labels, Role: 'manager', Availability: 'active' }, Description: { Hostname: n.hostname }, Status: { State: 'ready', Addr: n.address } }))));
    if (script === 'zkplan-stack-services') return ok(JSON.stringify([...this.services.values()].map((s) => ({ Spec: { Name: s.name, Labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': String(s.serverId), 'io.zkplan.config-hash': s.hash } } }))));
    if (script === 'zkplan-stack-ps') {
      const tasks = [...this.services.values()].filter((s) => s.task !== undefined);
      return ok(tasks.map((s) => JSON.stringify({ Name: `${s.name}.1`, Node: s.task, CurrentState: 'Running 1 second ago', DesiredState: 'Running', Error: '' })).join('\n'));
    }
    if (script === 'zkplan-stack-deploy') return this.deploy(argv[4]!, argv[5]!, a2!.includes('--prune'));
    if (a0 === 'docker' && a1 === 'image' && a2 === 'inspect') return ok('sha256:fake\n');
    if (a0 === 'docker' && a1 === 'node' && a2 === 'update') return this.relabel(argv.slice(3));
    if (a0 === 'docker' && a1 === 'service' && a2 === 'scale') {
      const [name, n] = argv[4]!.split('=') as [string, string];
      const s = this.services.get(name)!;
      s.replicas = Number(n);
      if (s.replicas === 0) delete s.task;
      this.ops.push(`scale ${argv[4]}`);
      return ok();
    }
    if (a0 === 'docker' && a1 === 'ps' && argv.includes('status=running')) {
      const filters = argv.filter((_, i) => argv[i - 1] === '--filter');
      const name = filters.find((f) => f.startsWith('label=com.docker.swarm.service.name='))!.split('=')[2]!;
      const hash = filters.find((f) => f.startsWith('label=io.zkplan.config-hash='))?.split('=')[2];
      const s = this.services.get(name);
      return ok(s?.task === host.name && (hash === undefined || hash === s.hash) ? 'c0ffee\n' : '');
    }
    if (a0 === 'docker' && a1 === 'ps' && argv.includes('--all')) {
      // what is left of a removed service or stack: nothing, once Swarm removed it
      const filter = argv[argv.indexOf('--filter') + 1]!;
      const left = [...this.services.values()].filter((s) => s.task === host.name && (filter === `label=com.docker.swarm.service.name=${s.name}` || filter.startsWith('label=com.docker.stack.namespace=')));
      return ok(left.map(() => 'c0ffee\n').join(''));
    }
    if (a0 === 'docker' && a1 === 'service' && a2 === 'rm') {
      this.services.delete(argv[3]!);
      this.ops.push(`remove ${argv[3]}`);
      return ok();
    }
    if (a0 === 'docker' && a1 === 'stack' && a2 === 'rm') {
      this.services.clear();
      this.ops.push(`stack rm ${argv[3]}`);
      return ok();
    }
    if (a0 === 'rm' && a1 === '-rf') {
      for (const f of [...this.files.keys()]) if (argv.slice(3).some((d) => f.startsWith(`${d}/`))) this.files.delete(f);
      return ok();
    }
    if (a0 === 'docker' && a1 === 'service' && (a2 === 'ps' || a2 === 'logs')) return ok();
    throw new Error(`fake swarm: unexpected command on ${host.name}: ${argv.join(' ')}`);
  }

  /** A batch (src/remote/batch.ts): its commands one after the other, answered in its framing. */
  private batch(host: Host, script: string): RunResult | undefined {
    const token = /^t=(zkplan-[0-9a-f]+)$/m.exec(script)?.[1];
    if (token === undefined) return undefined;
    let out = '';
    for (const m of script.matchAll(/\{ (.*) ; \} >"\$d\/(\d+)\.o"/g)) {
      const r = this.run(host, shellWords(m[1]!));
      out += `${token} ${m[2]} ${r.code} ${Buffer.byteLength(r.stdout)} ${Buffer.byteLength(r.stderr)}\n${r.stdout}${r.stderr}`;
    }
    return ok(`${out}${token} end\n`);
  }

  private deploy(file: string, stack: string, prune: boolean): RunResult {
    const doc = YAML.parse(this.files.get(file)!) as { services: Record<string, { deploy: { replicas: number; labels: Record<string, string>; placement: { constraints: string[] } } }> };
    for (const [key, def] of Object.entries(doc.services)) {
      const name = `${stack}_${key}`;
      const want = { name, serverId: Number(def.deploy.labels['io.zkplan.server-id']), hash: def.deploy.labels['io.zkplan.config-hash']!, constraint: def.deploy.placement.constraints[0]!, replicas: def.deploy.replicas };
      const now = this.services.get(name);
      if (now && now.hash === want.hash && now.constraint === want.constraint && now.replicas === want.replicas) continue;
      if (this.leader === now?.serverId) this.leader = undefined;
      const s: Service = { ...want };
      this.place(s);
      this.services.set(name, s);
      this.ops.push(`deploy ${name}${s.task ? ` on ${s.task}` : ''}`);
    }
    if (prune) {
      for (const name of [...this.services.keys()]) {
        if (!(name.slice(stack.length + 1) in doc.services)) {
          this.services.delete(name);
          this.ops.push(`prune ${name}`);
        }
      }
    }
    return ok();
  }

  private relabel(args: readonly string[]): RunResult {
    const node = this.nodes.find((n) => n.id === args.at(-1))!;
    const words: string[] = [];
    for (let i = 0; i < args.length - 1; i += 2) {
      const [flag, value] = [args[i]!, args[i + 1]!];
      if (flag === '--label-add') {
        const [k, v] = [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)];
        node.labels[k] = v;
        words.push(`+${k}=${v}`);
      } else {
        delete node.labels[value];
        words.push(`-${value}`);
      }
    }
    this.ops.push(`label ${node.hostname} ${words.join(' ')}`);
    // Swarm moves a running task whose placement no longer holds, configuration unchanged.
    for (const s of this.services.values()) {
      if (s.task === undefined || this.fits(this.nodes.find((n) => n.hostname === s.task)!, s.constraint)) continue;
      const was = s.task;
      this.place(s);
      this.ops.push(`reschedule ${s.name} ${was} → ${s.task ?? 'nowhere'} with ${s.hash}`);
    }
    return ok();
  }

  private place(s: Service): void {
    delete s.task;
    if (s.replicas === 0) return;
    const node = this.nodes.find((n) => this.fits(n, s.constraint));
    if (node) s.task = node.hostname;
  }

  private fits(node: Node, constraint: string): boolean {
    const m = /^node\.labels\.(.+) == (.+)$/.exec(constraint);
    if (!m) throw new Error(`fake swarm: constraint ${constraint}`);
    return node.labels[m[1]!] === m[2];
  }

  // --- the ZooKeeper servers the tasks run ---------------------------------------------------
  private up(): number[] {
    return [...this.services.values()].filter((s) => s.task !== undefined).map((s) => s.serverId);
  }

  private modeOf(id: number): string | undefined {
    const up = this.up();
    if (!up.includes(id) || up.length <= this.voters / 2) return undefined;
    if (this.leader === undefined || !up.includes(this.leader)) this.leader = Math.max(...up);
    return id === this.leader ? 'leader' : 'follower';
  }

  /** The server whose task runs on this node now answers its client port. */
  private async dial(host: Host, _port: number): Promise<Duplex> {
    const s = [...this.services.values()].find((x) => x.task === host.name);
    if (!s) throw Object.assign(new Error(`connect ECONNREFUSED ${host.address}:2181`), { code: 'ECONNREFUSED' });
    return answering((word) => {
      const mode = this.modeOf(s.serverId);
      if (word === 'ruok') return 'imok';
      if (mode === undefined) return NOT_SERVING;
      if (word === 'srvr') return srvrText(mode);
      if (word === 'mntr') return [['zk_version', '3.9.4-fake'], ['zk_server_state', mode], ...(mode === 'leader' ? [['zk_synced_followers', String(this.up().length - 1)], ['zk_synced_non_voting_followers', '0'], ['zk_synced_observers', '0']] : [])].map(([k, v]) => `${k}\t${v}\n`).join('');
      return '';
    });
  }

  /** The verification's znode round trip: through every server, when all of them serve. */
  readonly znodeCheck = async (servers: readonly ZnodeTarget[]): Promise<ZnodeCheck> => znodeRoundTrip(servers, servers.every((s) => this.modeOf(s.id) !== undefined));
}

/** The words of a command line from src/common/shell.ts (bare words and '…' with '\\'' inside). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\') {
      word = (word ?? '') + line[++i];
    } else word = (word ?? '') + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
}
