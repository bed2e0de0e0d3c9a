// Inventory text → validated, typed Inventory. Pure: the caller reads the file.
import { LineCounter, parseDocument } from 'yaml';
import { InputError, sortProblems, type Problem } from '../common/problems.js';
import { positionLocator } from './positions.js';
import { schemaProblems } from './schema.js';
import { semanticProblems } from './semantic.js';
import type { EnsembleSpec, Host, Inventory, SshSettings } from './types.js';

export const DEFAULT_STATE_DIR = '/etc/zkplan';

export function loadInventory(text: string, file: string): Inventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = positionLocator(doc, lineCounter, file);
  const problem = (line: number, col: number, message: string): Problem => ({ file, line, col, message, severity: 'error' });

  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return problem(pos.line, pos.col, `not valid YAML: ${firstLine(e.message)}`);
      }),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw new InputError([problem(1, 1, 'the inventory is empty; it needs "hosts" and "ensembles"')]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const pos = at([]);
    throw new InputError([problem(pos.line, pos.col, `the inventory must be a mapping with "hosts" and "ensembles", got ${Array.isArray(data) ? 'a list' : typeof data}`)]);
  }

  const schemaErrors = schemaProblems(data, at);
  if (schemaErrors.length > 0) throw new InputError(sortProblems(schemaErrors));

  const inventory = toInventory(data as RawInventory, file, at);
  const semantic = semanticProblems(inventory);
  if (semantic.length > 0) throw new InputError(sortProblems(semantic));
  return inventory;
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
}
interface RawInventory {
  ssh?: SshSettings;
  state_dir?: string;
  swarm?: { manager?: string };
  failure_domains?: string[];
  hosts: RawHost[];
  ensembles: Omit<EnsembleSpec, 'index'>[];
}

function toInventory(raw: RawInventory, file: string, at: Inventory['at']): Inventory {
  const ssh = raw.ssh ?? {};
  const hosts: Host[] = raw.hosts.map((h, index) => ({
    name: h.name,
    address: h.address,
    labels: Object.fromEntries(Object.entries(h.labels ?? {}).map(([k, v]) => [k, String(v)])),
    ssh: { ...ssh, ...(h.ssh ?? {}) },
    ...(h.swarm ? { swarm: h.swarm } : {}),
    stateDir: h.state_dir ?? raw.state_dir ?? DEFAULT_STATE_DIR,
    index,
  }));
  const ensembles: EnsembleSpec[] = raw.ensembles.map((e, index) => ({
    ...e,
    observers: e.observers ?? 0,
    profile: e.profile ?? 'official',
    network: e.network ?? 'host',
    ports: e.ports ?? {},
    data_dir: e.data_dir ?? '/var/lib/zkplan',
    placement: e.placement ?? {},
    index,
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
