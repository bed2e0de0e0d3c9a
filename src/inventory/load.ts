// Inventory text → validated, typed Inventory. Pure: the caller reads the file.
import { isNode, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import { InputError, sortProblems, type Problem } from '../common/problems.js';
import { parsePlainYaml } from './plain-yaml.js';
import { positionLocator } from './positions.js';
import { schemaProblems } from './schema.js';
import { semanticCheck } from './semantic.js';
import type { EnsembleSpec, Host, Inventory, SshSettings, YamlPath } from './types.js';

export const DEFAULT_STATE_DIR = '/etc/zkplan';

/**
 * The inventory as far as it can be planned, and every problem found on the way: a host or
 * ensemble with an error is left out (and reported once), the rest goes on to the later checks,
 * so one run reports every independent error. Pure: the caller reads the file.
 */
export interface LoadedInventory {
  /** The inventory without the hosts and ensembles left out; undefined when nothing can be planned. */
  inventory: Inventory | undefined;
  /** Indexes (positions in the file) of the hosts and ensembles left out because of their errors. */
  hostsLeftOut: number[];
  ensemblesLeftOut: number[];
  problems: Problem[];
}

/** The whole inventory, or InputError with every problem the loader finds. */
export function loadInventory(text: string, file: string): Inventory {
  const loaded = loadInventoryParts(text, file);
  if (loaded.inventory === undefined || loaded.problems.length > 0) throw new InputError(sortProblems(loaded.problems));
  return loaded.inventory;
}

const problemAt = (file: string) => (line: number, col: number, message: string): Problem => ({ file, line, col, message, severity: 'error' });
const nothing = (problems: Problem[]): LoadedInventory => ({ inventory: undefined, hostsLeftOut: [], ensemblesLeftOut: [], problems });

export function loadInventoryParts(text: string, file: string): LoadedInventory {
  // Most inventories are plain block YAML: read without yaml's Document (slow on big files), whose
  // positions are parsed only when a problem needs one. Anything else goes through yaml alone.
  const plain = parsePlainYaml(text);
  if (plain !== undefined) return checkParts(plain.value, file, lazyLocator(text, file));
  const { doc, lineCounter } = parseWithPositions(text);
  const at = positionLocator(doc, lineCounter, file);
  const problem = problemAt(file);

  if (doc.errors.length > 0) {
    return nothing(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return problem(pos.line, pos.col, `not valid YAML: ${firstLine(e.message)}`);
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError && e.message.startsWith('Excessive alias count'))) throw e;
    const pos = lineCounter.linePos(bombAlias(doc)?.range?.[0] ?? 0);
    return nothing([problem(pos.line, pos.col, 'too many YAML aliases: expanding them would make the inventory huge (an "alias bomb"); write the values out instead')]);
  }
  return checkParts(data, file, at);
}

function parseWithPositions(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  return { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
}

/** The positions of a document read by parsePlainYaml: yaml parses it on the first question. */
function lazyLocator(text: string, file: string): Inventory['at'] {
  let at: Inventory['at'] | undefined;
  return (path, which) => {
    if (at === undefined) {
      const { doc, lineCounter } = parseWithPositions(text);
      at = positionLocator(doc, lineCounter, file);
    }
    return at(path, which);
  };
}

function checkParts(data: unknown, file: string, at: Inventory['at']): LoadedInventory {
  const problem = problemAt(file);
  if (data === null || data === undefined) {
    return nothing([problem(1, 1, 'the inventory is empty; it needs "hosts" and "ensembles"')]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const pos = at([]);
    return nothing([problem(pos.line, pos.col, `the inventory must be a mapping with "hosts" and "ensembles", got ${Array.isArray(data) ? 'a list' : typeof data}`)]);
  }

  const schema = schemaProblems(data, at);
  const problems = schema.map((s) => s.problem);
  const broken = brokenParts(schema.map((s) => s.path));
  if (broken === 'all') return nothing(problems);
  const raw = data as RawInventory;
  const hostNames = new Set(raw.hosts.flatMap((h) => (typeof h?.name === 'string' ? [h.name] : [])));
  const whole = toInventory(withoutBrokenParts(raw, broken), file, at);
  const semantic = semanticCheck(whole, hostNames);
  problems.push(...semantic.problems);
  const hostsLeftOut = [...new Set([...broken.hosts, ...semantic.brokenHosts])].sort((a, b) => a - b);
  const ensemblesLeftOut = [...new Set([...broken.ensembles, ...semantic.brokenEnsembles])].sort((a, b) => a - b);
  const inventory: Inventory = {
    ...whole,
    hosts: whole.hosts.filter((h) => !hostsLeftOut.includes(h.index)),
    ensembles: whole.ensembles.filter((e) => !ensemblesLeftOut.includes(e.index)),
  };
  return { inventory, hostsLeftOut, ensemblesLeftOut, problems };
}

/** A billion-laughs document needs thousands; a hand-written inventory a few. */
const MAX_ALIAS_COUNT = 100;

/** Where the expansion multiplies: the first alias of a node that itself holds aliases (else the first alias). */
function bombAlias(doc: Document): Node | undefined {
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_key, node) => void aliases.push(node) });
  const holdsAliases = (node: unknown): boolean => {
    let found = false;
    if (isNode(node)) {
      visit(node, {
        Alias: () => {
          found = true;
          return visit.BREAK;
        },
      });
    }
    return found;
  };
  return aliases.find((a) => holdsAliases(a.resolve(doc))) ?? aliases[0];
}

interface BrokenParts {
  hosts: Set<number>;
  ensembles: Set<number>;
  /** Fields no later check reads, dropped when invalid: top-level ones, and per host. */
  rootFields: Set<string>;
  hostFields: Map<number, Set<string>>;
}

const UNPLANNED_FIELDS = new Set(['ssh', 'state_dir', 'docker_host', 'swarm']);

/** What the schema errors at these paths break: a host, an ensemble, a field nothing else reads, or everything. */
function brokenParts(paths: YamlPath[]): BrokenParts | 'all' {
  const parts: BrokenParts = { hosts: new Set(), ensembles: new Set(), rootFields: new Set(), hostFields: new Map() };
  for (const [top, index, field] of paths) {
    if (top === undefined) return 'all'; // a required top-level key is missing
    if (top === 'hosts' || top === 'ensembles') {
      if (typeof index !== 'number') return 'all'; // not a list, or an empty one
      if (top === 'ensembles') parts.ensembles.add(index);
      else if (typeof field === 'string' && UNPLANNED_FIELDS.has(field)) parts.hostFields.set(index, (parts.hostFields.get(index) ?? new Set()).add(field));
      else parts.hosts.add(index);
    } else if (UNPLANNED_FIELDS.has(String(top))) {
      parts.rootFields.add(String(top));
    } // else an unknown top-level key, which nothing reads
  }
  return parts;
}

/** The raw inventory without broken hosts and ensembles (their positions kept) and without invalid unplanned fields. */
function withoutBrokenParts(raw: RawInventory, broken: BrokenParts): RawInventory & { hostIndexes: number[]; ensembleIndexes: number[] } {
  const drop = <T extends object>(value: T, fields: Set<string> | undefined): T =>
    fields ? (Object.fromEntries(Object.entries(value).filter(([k]) => !fields.has(k))) as T) : value;
  const hostIndexes = raw.hosts.map((_, i) => i).filter((i) => !broken.hosts.has(i));
  const ensembleIndexes = raw.ensembles.map((_, i) => i).filter((i) => !broken.ensembles.has(i));
  return {
    ...drop(raw, broken.rootFields),
    hosts: hostIndexes.map((i) => drop(raw.hosts[i]!, broken.hostFields.get(i))),
    ensembles: ensembleIndexes.map((i) => raw.ensembles[i]!),
    hostIndexes,
    ensembleIndexes,
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

interface RawHost {
  name: string;
  address: string;
  labels?: Record<string, string | number>;
  ssh?: SshSettings;
  swarm?: 'manager' | 'worker';
  state_dir?: string;
  docker_host?: string;
}
interface RawInventory {
  ssh?: SshSettings;
  state_dir?: string;
  docker_host?: string;
  swarm?: { manager?: string };
  failure_domains?: string[];
  hosts: RawHost[];
  ensembles: Omit<EnsembleSpec, 'index'>[];
}

function toInventory(raw: RawInventory & { hostIndexes: number[]; ensembleIndexes: number[] }, file: string, at: Inventory['at']): Inventory {
  const ssh = raw.ssh ?? {};
  const hosts: Host[] = raw.hosts.map((h, i) => ({
    name: h.name,
    address: h.address,
    labels: Object.fromEntries(Object.entries(h.labels ?? {}).map(([k, v]) => [k, String(v)])),
    ssh: { ...ssh, ...(h.ssh ?? {}) },
    ...(h.swarm ? { swarm: h.swarm } : {}),
    stateDir: h.state_dir ?? raw.state_dir ?? DEFAULT_STATE_DIR,
    ...((h.docker_host ?? raw.docker_host) !== undefined ? { dockerHost: (h.docker_host ?? raw.docker_host)! } : {}),
    index: raw.hostIndexes[i]!,
  }));
  const ensembles: EnsembleSpec[] = raw.ensembles.map((e, i) => ({
    ...e,
    observers: e.observers ?? 0,
    profile: e.profile ?? 'official',
    network: e.network ?? 'host',
    ports: e.ports ?? {},
    data_dir: e.data_dir ?? '/var/lib/zkplan',
    placement: e.placement ?? {},
    index: raw.ensembleIndexes[i]!,
  }));
  const manager = raw.swarm?.manager ?? hosts.find((h) => h.swarm === 'manager')?.name;
  return {
    file,
    ssh,
    hosts,
    ensembles,
    ...(raw.failure_domains ? { failureDomains: raw.failure_domains } : {}),
    ...(manager ? { swarmManager: manager } : {}),
    at,
  };
}
