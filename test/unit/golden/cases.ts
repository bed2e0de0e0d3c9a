// The golden cases: every valid target × network × image profile, the article's inventories and
// a few option variants. Shared by the golden-file tests and the lab's docker-compose check.
import { renderTarget, TARGETS } from '../../../src/render/index.js';
import { loadTemplates } from '../../../src/render/templates.js';
import type { RenderedFile, RenderOptions, TargetName } from '../../../src/render/types.js';
import type { EnsemblePlan } from '../../../src/plan/types.js';
import { caseInventory, planOf, planOfFile, type CaseSpec } from './support.js';

export interface Case {
  name: string;
  target: TargetName;
  plan: () => EnsemblePlan;
  options?: RenderOptions;
}

const COMMON_SETTINGS = {
  memory: '2g',
  autopurge: { snap_retain_count: 5, purge_interval_hours: 6 },
  data_log_dir: '/srv/zk-txlog',
  four_letter_words: ['stat', 'envi'],
  zoo_cfg: { 'jute.maxbuffer': 4194304, maxClientCnxns: 0 },
  // `$` must reach the container as it is: compose files escape it, scripts quote it
  env: { TZ: 'UTC', GREETING: 'costs $5' },
};

/** Everything the inventory can set; ZooKeeper 3.4.8 (aliyun) has no metrics provider and no reconfig, and heap there is derived. */
export const PRODUCTION_SETTINGS = {
  aliyun: COMMON_SETTINGS,
  official: { ...COMMON_SETTINGS, heap: '1536m', metrics: true, reconfig: true, ports: { metrics: 7070 } },
  bitnami: { ...COMMON_SETTINGS, heap: '1g', metrics: true, reconfig: true },
} as const;

/** Every security setting a single-host network can carry. */
export const SECURED = { quorum_tls: true, client_tls: 'only', quorum_sasl: true, client_sasl: true } as const;

export const NO_OPTIONS: RenderOptions = { set: {}, resolve: false };

export function goldenCases(): Case[] {
  const article: Case[] = [
    { name: 'article-host--aliyun', target: 'aliyun', plan: () => planOfFile('inventories/article-host.yml') },
    { name: 'article-host--swarm', target: 'swarm', plan: () => planOfFile('inventories/article-host.yml') },
    { name: 'article-host--run-scripts', target: 'run-scripts', plan: () => planOfFile('inventories/article-host.yml') },
    { name: 'article-bridge--compose-bridge', target: 'compose-bridge', plan: () => planOfFile('inventories/article-bridge.yml') },
    { name: 'article-bridge--run-scripts', target: 'run-scripts', plan: () => planOfFile('inventories/article-bridge.yml') },
    { name: 'article-links--compose-links', target: 'compose-links', plan: () => planOfFile('inventories/article-links.yml') },
    { name: 'article-links--run-scripts', target: 'run-scripts', plan: () => planOfFile('inventories/article-links.yml') },
    { name: 'article-static-ip--compose-static-ip', target: 'compose-static-ip', plan: () => planOfFile('inventories/article-static-ip.yml') },
    { name: 'article-static-ip--run-scripts', target: 'run-scripts', plan: () => planOfFile('inventories/article-static-ip.yml') },
    // a secured ensemble: its key material and passwords as external Docker secrets
    { name: 'secured--swarm', target: 'swarm', plan: () => planOfFile('inventories/secured.yml') },
  ];
  const matrix: Case[] = [];
  for (const profile of ['aliyun', 'official', 'bitnami'] as const) {
    for (const target of TARGETS) {
      for (const network of target.networks) {
        const spec: CaseSpec = { profile, network, observers: 1 };
        matrix.push({ name: `${target.name}--${network}--${profile}`, target: target.name, plan: () => planOf(caseInventory(spec)) });
      }
    }
  }
  // Every production setting, for every profile and target (each target on its first network).
  const settings: Case[] = [];
  for (const profile of ['aliyun', 'official', 'bitnami'] as const) {
    for (const target of TARGETS) {
      const network = target.networks[0]!;
      const spec: CaseSpec = { profile, network, settings: PRODUCTION_SETTINGS[profile] };
      settings.push({ name: `${target.name}--${network}--${profile}--settings`, target: target.name, plan: () => planOf(caseInventory(spec)) });
    }
  }
  const extra: Case[] = [
    {
      name: 'swarm--host--official--resolve-set',
      target: 'swarm',
      plan: () => planOf(caseInventory({ profile: 'official', network: 'host' })),
      options: { set: { ZOOKEEPER_2: 'zk2.example.net' }, resolve: true },
    },
    {
      name: 'aliyun--host--aliyun--resolve',
      target: 'aliyun',
      plan: () => planOfFile('inventories/article-host.yml'),
      options: { set: { ZOOKEEPER_3: '198.51.100.3' }, resolve: true },
    },
    {
      name: 'run-scripts--host--official-3.4--client-port',
      target: 'run-scripts',
      plan: () => planOf(caseInventory({ profile: 'official', network: 'host', image: 'zookeeper:3.4.14', version: '3.4.14', ports: { client: 2191 } })),
    },
  ];
  // A secured ensemble on each target that carries its secrets (a secrets/ directory beside the compose file).
  const secured: Case[] = (['compose-bridge', 'compose-links', 'compose-static-ip'] as const).flatMap((target) => {
    const network = target.slice('compose-'.length) as CaseSpec['network'];
    return (['official', 'bitnami'] as const).map((profile) => ({
      name: `${target}--${network}--${profile}--secured`,
      target,
      // bitnami always opens a plain client port, so client TLS only is refused for it; one host's networks publish no port beside it.
      plan: () => planOf(caseInventory({ profile, network, settings: { security: profile === 'bitnami' ? { ...SECURED, client_tls: 'off' } : SECURED } })),
    }));
  });
  return [...article, ...matrix, ...settings, ...extra, ...secured];
}

/** Every golden case with its rendered files. */
export function renderedGoldenCases(): (Case & { files: RenderedFile[] })[] {
  const templates = loadTemplates();
  return goldenCases().map((c) => ({ ...c, files: renderTarget(c.target, c.plan(), c.options ?? NO_OPTIONS, templates) }));
}
