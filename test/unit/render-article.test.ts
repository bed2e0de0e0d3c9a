// The reference article's own templates and commands, reproduced from the article inventories:
// compared by meaning (services, images, networking, environment, constraints), not by bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import type { RenderOptions, TargetName } from '../../src/render/types.js';
import { dockerCalls, planOfFile } from './golden/support.js';

const ARTICLE = join(import.meta.dirname, 'golden', 'article');
const templates = loadTemplates();

function render(inventory: string, target: TargetName, options: RenderOptions = { set: {}, resolve: false }) {
  return renderTarget(target, planOfFile(`inventories/${inventory}.yml`), options, templates);
}

type Service = Record<string, unknown>;
function yamlFile(content: string): Record<string, Service> {
  return parse(content) as Record<string, Service>;
}

/** compose environment, list or map, as `KEY=value` entries in file order */
function envList(env: unknown): string[] {
  if (Array.isArray(env)) return env.map(String);
  return Object.entries(env as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
}

interface DockerRun {
  name?: string;
  net?: string;
  ip?: string;
  links: string[];
  env: string[];
  image?: string;
}

// The article writes short options, zkplan the long ones.
const LONG: Record<string, string> = { '-d': '--detach', '--net': '--network', '-e': '--env', '-v': '--volume', '-p': '--publish' };

/** The meaning of a `docker run` argv; options the article does not use are skipped. */
function dockerRun(argv: string[]): DockerRun {
  assert.equal(argv[0], 'run');
  assert.equal(LONG[argv[1]!] ?? argv[1], '--detach');
  const run: DockerRun = { links: [], env: [] };
  const withValue = new Set(['--name', '--network', '--ip', '--link', '--env', '--restart', '--volume', '--publish', '--hostname', '--label']);
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const long = (w: string) => LONG[w] ?? w;
    const [flag, value] = eq > 0 ? [long(word.slice(0, eq)), word.slice(eq + 1)] : withValue.has(long(word)) ? [long(word), argv[++i]!] : [word, undefined];
    if (value === undefined) {
      run.image = flag;
      continue;
    }
    if (flag === '--name') run.name = value;
    else if (flag === '--network') run.net = value;
    else if (flag === '--ip') run.ip = value;
    else if (flag === '--link') run.links.push(value);
    else if (flag === '--env') run.env.push(value);
  }
  return run;
}

const articleCalls = dockerCalls(readFileSync(join(ARTICLE, 'docker-run.sh'), 'utf8'));
const method1Runs = articleCalls.slice(0, 3).map(dockerRun);
const method3Runs = articleCalls.slice(3, 6).map(dockerRun);
const method4Network = articleCalls[6]!;
const method4Runs = articleCalls.slice(7, 10).map(dockerRun);

function scriptRuns(files: { content: string }[]): { runs: DockerRun[]; other: string[][] } {
  const calls = files.flatMap((f) => dockerCalls(f.content));
  return {
    runs: calls.filter((c) => c[0] === 'run').map(dockerRun),
    // `docker rm -f` and `docker network inspect` are zkplan's idempotence, not the article's.
    other: calls.filter((c) => c[0] !== 'run' && c[0] !== 'rm' && !(c[0] === 'network' && c[1] === 'inspect')),
  };
}

test('method 1, Aliyun template: same services, images, net: host, environment and constraints', () => {
  const article = yamlFile(readFileSync(join(ARTICLE, 'method1-aliyun.yml'), 'utf8'));
  const files = render('article-host', 'aliyun');
  const ours = yamlFile(files.find((f) => f.path === 'docker-compose.yml')!.content);
  assert.deepEqual(Object.keys(ours), Object.keys(article));
  for (const [name, svc] of Object.entries(article)) {
    const mine = ours[name]!;
    assert.equal(mine.image, svc.image, name);
    assert.equal(mine.net, svc.net, name);
    assert.deepEqual(envList(mine.environment), envList(svc.environment), name);
  }
  // The Aliyun console asks for ZOOKEEPER_1..3; the .env gives docker-compose the same.
  const env = files.find((f) => f.path === '.env')!.content;
  assert.deepEqual(env.split('\n').filter((l) => l && !l.startsWith('#')), [
    'ZOOKEEPER_1=192.0.2.11',
    'ZOOKEEPER_2=192.0.2.12',
    'ZOOKEEPER_3=192.0.2.13',
  ]);
});

test('method 1, docker run on each host: --net=host and the article environment (hosts named by --set)', () => {
  const set = { ZOOKEEPER_1: 'zookeeper1', ZOOKEEPER_2: 'zookeeper2', ZOOKEEPER_3: 'zookeeper3' };
  const files = render('article-host', 'run-scripts', { set, resolve: false });
  assert.deepEqual(files.map((f) => f.path), ['zookeeper1.sh', 'zookeeper2.sh', 'zookeeper3.sh']);
  const { runs, other } = scriptRuns(files);
  assert.deepEqual(other, []);
  runs.forEach((run, i) => {
    const a = method1Runs[i]!;
    assert.equal(run.net, a.net);
    assert.deepEqual(run.env, a.env);
    assert.equal(run.image, a.image);
  });
});

test('method 2, compose on network foo: same services, container names, network, environment', () => {
  const article = yamlFile(readFileSync(join(ARTICLE, 'method2-compose.yml'), 'utf8'));
  const content = render('article-bridge', 'compose-bridge')[0]!.content;
  const doc = parse(content) as { services: Record<string, Service>; networks: Record<string, { name: string }> };
  assert.deepEqual(Object.keys(doc.services), Object.keys(article));
  for (const [name, svc] of Object.entries(article)) {
    const mine = doc.services[name]!;
    assert.equal(mine.image, svc.image, name);
    assert.equal(mine.container_name, svc.container_name, name);
    const [network] = mine.networks as string[];
    assert.equal(doc.networks[network!]!.name, svc.net, name);
    assert.deepEqual(envList(mine.environment), envList(svc.environment), name);
  }
});

test('method 3, link aliases: same containers, network, --link aliases and environment', () => {
  const { runs, other } = scriptRuns(render('article-links', 'run-scripts'));
  assert.deepEqual(other, [['network', 'create', 'foo']]);
  assert.deepEqual(runs, method3Runs);
});

test('method 3, compose: the same link aliases as external_links', () => {
  const doc = parse(render('article-links', 'compose-links')[0]!.content) as { services: Record<string, Service> };
  const links = method3Runs.map((r) => r.links);
  assert.deepEqual(Object.values(doc.services).map((s) => s.external_links), links);
  assert.deepEqual(Object.values(doc.services).map((s) => envList(s.environment)), method3Runs.map((r) => r.env));
});

test('method 4, static IPs: the same network create and docker run lines', () => {
  const { runs, other } = scriptRuns(render('article-static-ip', 'run-scripts'));
  assert.deepEqual(other, [method4Network]);
  assert.deepEqual(runs, method4Runs);
});

test('method 4, compose: the same subnet, gateway, ip_range and addresses', () => {
  const doc = parse(render('article-static-ip', 'compose-static-ip')[0]!.content) as {
    services: Record<string, { networks: Record<string, { ipv4_address: string }>; environment: unknown }>;
    networks: Record<string, { name: string; ipam: { config: { subnet: string; gateway: string; ip_range: string }[] } }>;
  };
  assert.deepEqual(doc.networks.bar!.ipam.config, [{ subnet: '172.19.0.0/16', gateway: '172.19.0.1', ip_range: '172.19.0.0/17' }]);
  assert.deepEqual(Object.values(doc.services).map((s) => s.networks.bar!.ipv4_address), method4Runs.map((r) => r.ip));
  assert.deepEqual(Object.values(doc.services).map((s) => envList(s.environment)), method4Runs.map((r) => r.env));
});
