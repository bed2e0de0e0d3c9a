// An ensemble's production settings (ZOOKEEPER-FACTS §8c): heap and memory limit, autopurge,
// the transaction-log directory, metrics, extra four-letter words, zoo.cfg entries and
// environment, resolved from the inventory and checked against each other and the version.
import type { EnsembleSpec, ScalarValue, YamlPath } from '../inventory/types.js';
import type { Report } from './placement.js';
import { SECURITY_KEYS } from './security.js';
import { HEALTH_CHECK_WORDS } from './server-config.js';
import type { EnsembleSettings, ZkVersion } from './types.js';
import { atLeast } from './version.js';

export const MIB = 1024 * 1024;

/**
 * Heap derived from `memory`: 75% of the limit, but never leaving less than 256 MiB to the
 * JVM's own memory. Outside the heap a ZooKeeper JVM needs metaspace (~60 MB with Jetty),
 * code cache, thread stacks, GC bookkeeping (a few % of the heap) and Netty's direct buffers,
 * about 150-250 MB at rest; the share grows with the heap (GC structures, direct buffers under
 * load). "A 3 GB heap on a 4 GB machine" (Admin Guide) is the same rule at 4 GB.
 */
export const HEAP_SHARE = 0.75;
export const MIN_NON_HEAP_MIB = 256;
/** Below this a derived heap would be smaller than the JVM's own share: ask for an explicit heap. */
export const MIN_DERIVING_MEMORY_MIB = 512;

export const DEFAULT_AUTOPURGE = { snapRetainCount: 3, purgeIntervalHours: 24 } as const;

/**
 * The aliyun image's run.sh appends exactly ADDITIONAL_ZOOKEEPER_1..10; an 11th is silently
 * dropped (FACTS §1). Server lines and settings share them: the planner counts, the profile writes.
 */
export const ALIYUN_MAX_LINES = 10;

export const PROMETHEUS_PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

/** zoo.cfg keys zkplan writes itself, with the inventory key that sets each. */
const OWN_KEYS: readonly [RegExp, string][] = [
  [/^server\.\d+$/, 'servers and observers'],
  [/^dynamicConfigFile$/, 'servers and observers (zkplan writes the server lines into zoo.cfg)'],
  [/^clientPort$/, 'ports.client'],
  [/^dataDir$/, 'data_dir'],
  [/^dataLogDir$/, 'data_log_dir'],
  [/^autopurge\.(snapRetainCount|purgeInterval)$/, 'autopurge'],
  [/^metricsProvider\.(className|httpPort)$/, 'metrics and ports.metrics'],
  [/^4lw\.commands\.whitelist$/, 'four_letter_words'],
  [/^admin\.(enableServer|serverPort)$/, 'admin_server and ports.admin'],
  [/^peerType$/, 'observers'],
  [/^quorumListenOnAllIPs$/, 'network'],
  [/^(reconfigEnabled|standaloneEnabled)$/, 'reconfig'],
  [SECURITY_KEYS, 'security'],
];

/** '512m' → 512, '2g' → 2048 (the schema admits only these two units). */
export function sizeMiB(text: string): number {
  const n = Number(text.slice(0, -1));
  return /g$/i.test(text) ? n * 1024 : n;
}

/** 1024 → '1g', 768 → '768m': the form docker and compose read. */
export function formatMiB(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}g` : `${mib}m`;
}

export function heapFromMemory(memoryMiB: number): number {
  return Math.min(Math.floor(memoryMiB * HEAP_SHARE), memoryMiB - MIN_NON_HEAP_MIB);
}

export function resolveSettings(spec: EnsembleSpec, version: ZkVersion, report: Report): EnsembleSettings {
  const at = (...path: (string | number)[]): YamlPath => ['ensembles', spec.index, ...path];
  return {
    ...heapAndMemory(spec, at, report),
    autopurge: autopurge(spec),
    ...dataLogDir(spec, at, report),
    metrics: metrics(spec, version, at, report),
    ...(reconfig(spec, version, at, report) ? { reconfig: true as const } : {}),
    zooCfg: zooCfg(spec, at, report),
    env: Object.entries(spec.env ?? {}).map(([k, v]) => [k, scalar(v)]),
  };
}

function heapAndMemory(spec: EnsembleSpec, at: (...p: string[]) => YamlPath, report: Report): Pick<EnsembleSettings, 'heapMiB' | 'heapSource' | 'memoryBytes'> {
  const memory = spec.memory === undefined ? undefined : sizeMiB(spec.memory);
  const limit = memory === undefined ? {} : { memoryBytes: memory * MIB };
  if (spec.heap !== undefined) {
    const heap = sizeMiB(spec.heap);
    if (memory !== undefined && heap >= memory) {
      report(
        at('heap'),
        `heap ${spec.heap} of ensemble "${spec.name}" is not below its memory limit ${spec.memory}: the JVM needs memory beyond its heap and the kernel would kill the server; ` +
          `lower heap or raise memory (leave at least ${MIN_NON_HEAP_MIB} MiB)`,
      );
    } else if (memory !== undefined && memory - heap < MIN_NON_HEAP_MIB) {
      report(at('heap'), `heap ${spec.heap} leaves only ${memory - heap} MiB of memory ${spec.memory} to the JVM's own use; ${MIN_NON_HEAP_MIB} MiB or more is safer`, 'warning');
    }
    return { heapMiB: heap, heapSource: 'heap', ...limit };
  }
  if (memory === undefined) return {};
  if (memory < MIN_DERIVING_MEMORY_MIB) {
    report(
      at('memory'),
      `memory ${spec.memory} of ensemble "${spec.name}" is too small to derive a heap from (at least ${formatMiB(MIN_DERIVING_MEMORY_MIB)}); set heap explicitly or raise memory`,
    );
    return limit;
  }
  return { heapMiB: heapFromMemory(memory), heapSource: 'memory', ...limit };
}

function autopurge(spec: EnsembleSpec): EnsembleSettings['autopurge'] {
  const given = spec.autopurge;
  if (given === false) return null;
  const fields = typeof given === 'object' ? given : {};
  return {
    snapRetainCount: fields.snap_retain_count ?? DEFAULT_AUTOPURGE.snapRetainCount,
    purgeIntervalHours: fields.purge_interval_hours ?? DEFAULT_AUTOPURGE.purgeIntervalHours,
  };
}

function dataLogDir(spec: EnsembleSpec, at: (...p: string[]) => YamlPath, report: Report): Pick<EnsembleSettings, 'dataLogDir'> {
  if (spec.data_log_dir === undefined) return {};
  const trim = (p: string) => p.replace(/\/+$/, '') || '/';
  if (trim(spec.data_log_dir) === trim(spec.data_dir)) {
    report(at('data_log_dir'), `data_log_dir ${spec.data_log_dir} is the data_dir of ensemble "${spec.name}": name another directory (ideally on its own device)`);
  }
  return { dataLogDir: spec.data_log_dir };
}

function metrics(spec: EnsembleSpec, version: ZkVersion, at: (...p: string[]) => YamlPath, report: Report): boolean {
  if (spec.metrics !== true) {
    if (spec.ports.metrics !== undefined) report(at('ports', 'metrics'), `ports.metrics is unused: metrics is off for ensemble "${spec.name}"`, 'warning');
    return false;
  }
  if (!atLeast(version, 3, 6)) {
    report(
      at('metrics'),
      `metrics needs ZooKeeper 3.6 or later (the Prometheus metrics provider came with 3.6.0); ensemble "${spec.name}" runs ZooKeeper ${version.text}`,
    );
    return false;
  }
  return true;
}

/** `reconfig: true` needs reconfigEnabled, new in 3.5.3 (FACTS §7): 3.4 and the aliyun image (3.4.8) have none. */
function reconfig(spec: EnsembleSpec, version: ZkVersion, at: (...p: string[]) => YamlPath, report: Report): boolean {
  if (spec.reconfig !== true) return false;
  if (spec.profile === 'aliyun') {
    report(at('reconfig'), `reconfig needs ZooKeeper 3.5.3 or later; the aliyun profile's image runs ZooKeeper 3.4.8, whose membership changes only by the static method: remove reconfig from ensemble "${spec.name}"`);
    return false;
  }
  const patch = version.patch ?? Number.MAX_SAFE_INTEGER;
  if (!atLeast(version, 3, 5) || (version.major === 3 && version.minor === 5 && patch < 3)) {
    report(at('reconfig'), `reconfig needs ZooKeeper 3.5.3 or later (reconfigEnabled came with 3.5.3); ensemble "${spec.name}" runs ZooKeeper ${version.text}`);
    return false;
  }
  return true;
}

function zooCfg(spec: EnsembleSpec, at: (...p: string[]) => YamlPath, report: Report): [string, string][] {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(spec.zoo_cfg ?? {})) {
    const own = OWN_KEYS.find(([pattern]) => pattern.test(key));
    if (own) {
      report([...at('zoo_cfg'), key], `zoo_cfg key "${key}" is set by zkplan itself; use ${own[1]}`, 'error', 'key');
      continue;
    }
    // bitnami turns ZOO_CFG_<KEY> into a key by replacing every '_' with '.'
    if (spec.profile === 'bitnami' && /[_-]/.test(key)) {
      report([...at('zoo_cfg'), key], `zoo_cfg key "${key}" cannot be given to the bitnami image: its ZOO_CFG_<KEY> variables turn every "_" into "." and allow no "-"`, 'error', 'key');
      continue;
    }
    entries.push([key, scalar(value)]);
  }
  return entries;
}

/** The whitelist: the words zkplan's checks need plus the inventory's, sorted; `*` alone when it asks for all. */
export function fourLetterWords(spec: EnsembleSpec): string[] {
  const extra = spec.four_letter_words ?? [];
  if (extra.includes('*')) return ['*'];
  return [...new Set([...HEALTH_CHECK_WORDS, ...extra])].sort();
}

function scalar(v: ScalarValue): string {
  return String(v);
}
