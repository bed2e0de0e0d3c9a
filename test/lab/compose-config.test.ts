// Every rendered file of every target is accepted by the real `docker-compose config`
// (Debian docker-compose 1.29.2; it needs no Docker daemon, so this test does not bring the lab up),
// and every run-script passes `sh -n`.
//
// For each bundled inventory (inventories/*.yml) plus two generated variants that cover the
// official image contract and overlay networking, every target of TARGET_NAMES is rendered
// in-process with `zkplan render -o <dir>/`. Targets the ensemble's network cannot use are refused
// with exit code 2 and skipped; the pairs the README promises must render. A secured inventory
// renders only for the compose targets of one host's networks, its secrets/ directory beside the
// compose file; every other target refuses it with the reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { processIo, type Io } from '../../src/cli/io.js';
import { TARGET_NAMES, type TargetName } from '../../src/render/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INVENTORY_DIR = path.join(ROOT, 'inventories');
const COMPOSE = process.env.DOCKER_COMPOSE ?? 'docker-compose';

/** Addresses given through the process environment; distinct from every inventory's. */
const envAddress = (n: number) => `198.51.100.${n}`;

// ---------------------------------------------------------------------------------------------
// helpers

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** The environment without anything that would change what docker-compose interpolates or reads. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(ZOOKEEPER_\d+|COMPOSE_.*|DOCKER_.*)$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function compose(dir: string, file: string, env: Record<string, string> = {}): Promise<Exec> {
  return exec([COMPOSE, '-f', file, 'config'], { cwd: dir, env: cleanEnv(env) });
}

function show(r: Exec): string {
  return `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout.slice(0, 2000)}`;
}

/** The ZOOKEEPER_n variables a rendered file uses, in order. */
function variablesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{(ZOOKEEPER_\d+)\b/g)) names.add(m[1]!);
  return [...names].sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
}

/** KEY=value lines of a .env file. */
function readDotEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

type EnvValue = Record<string, string | number | null> | string[] | undefined;

/** Environment of a service as KEY=value strings (both compose forms). */
function envEntries(env: EnvValue): string[] {
  if (env === undefined) return [];
  if (Array.isArray(env)) return env.map(String);
  return Object.entries(env).map(([k, v]) => (v === null ? k : `${k}=${v}`));
}

interface Rendered {
  code: number;
  err: string;
  dir: string;
  files: string[];
}

async function render(inventory: string, target: TargetName, dir: string): Promise<Rendered> {
  let out = '';
  let err = '';
  // The real file system (processIo), with the messages captured for the assertion texts.
  const io: Io = { ...processIo, out: (t) => void (out += t), err: (t) => void (err += t), env: {} };
  const code = await runCli(['render', inventory, '--target', target, '-o', `${dir}/`], io);
  const files = code === 0 ? listFiles(dir) : [];
  return { code, err: err + out, dir, files };
}

function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else found.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return found.sort();
}

// ---------------------------------------------------------------------------------------------
// inventories

const work = mkdtempSync(path.join(os.tmpdir(), 'zkplan-compose-config-'));

interface Case {
  name: string;
  file: string;
  network: string;
  profile: string;
  /**
   * an ensemble with a security block: only the compose targets of one host's networks carry its
   * secrets (a secrets/ directory beside the compose file); every other target refuses it
   */
  secured: boolean;
}

function describeInventory(name: string, file: string): Case {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { ensembles: { network?: string; profile?: string; security?: object }[] };
  const e = doc.ensembles[0]!;
  const secured = e.security !== undefined;
  // zkplan keeps an ensemble's key material beside its inventory: a copy keeps the repository's directory clean.
  const at = secured ? path.join(work, 'inventories', path.basename(file)) : file;
  if (secured) {
    mkdirSync(path.dirname(at), { recursive: true });
    copyFileSync(file, at);
  }
  return { name, file: at, network: e.network ?? 'host', profile: e.profile ?? 'official', secured };
}

const bundled: Case[] = readdirSync(INVENTORY_DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => describeInventory(f.replace(/\.yml$/, ''), path.join(INVENTORY_DIR, f)));

/** Variants of example.yml for what the bundled files do not cover: the official contract, overlay. */
function variant(name: string, change: (ensemble: Record<string, unknown>) => void): Case {
  const doc = YAML.parse(readFileSync(path.join(INVENTORY_DIR, 'example.yml'), 'utf8')) as { ensembles: Record<string, unknown>[] };
  const e = doc.ensembles[0]!;
  delete e.zookeeper_version;
  change(e);
  const file = path.join(work, 'inventories', `${name}.yml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, YAML.stringify(doc));
  return describeInventory(name, file);
}

const variants: Case[] = [
  variant('variant-host-official', (e) => Object.assign(e, { profile: 'official', image: 'zookeeper:3.8.0', network: 'host' })),
  variant('variant-overlay-official', (e) => Object.assign(e, { profile: 'official', image: 'zookeeper:3.8.0', network: 'overlay' })),
];

/** Pairs that must render (the README's target table). */
function expectedTargets(c: Case): TargetName[] {
  // a secured ensemble's secrets travel as Docker secrets (a Swarm stack) or from a directory beside a single host's compose file
  if (c.secured) {
    if (c.network === 'host' || c.network === 'overlay') return ['swarm'];
    return (['bridge', 'links', 'static-ip'] as const).includes(c.network as 'bridge') ? [`compose-${c.network}` as TargetName] : [];
  }
  switch (c.network) {
    case 'host':
      return ['aliyun', 'swarm', 'run-scripts'];
    case 'overlay':
      return ['aliyun', 'swarm'];
    case 'bridge':
      return ['compose-bridge', 'run-scripts'];
    case 'links':
      return ['compose-links', 'run-scripts'];
    case 'static-ip':
      return ['compose-static-ip', 'run-scripts'];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// checks per target

async function checkComposeFile(r: Rendered, file: string, target: TargetName, network: string): Promise<void> {
  const text = readFileSync(path.join(r.dir, file), 'utf8');
  const vars = variablesIn(text);
  const dotEnv = r.files.includes('.env') ? readDotEnv(path.join(r.dir, '.env')) : {};

  // 1. As rendered, beside its .env: docker-compose must accept it without unset-variable warnings.
  const plain = await compose(r.dir, file);
  assert.equal(plain.code, 0, `docker-compose config ${file}:\n${show(plain)}`);
  assert.doesNotMatch(plain.stderr, /variable is not set|ERROR/i, `docker-compose config ${file} warned:\n${plain.stderr}`);
  const config = YAML.parse(plain.stdout) as { services?: Record<string, Record<string, unknown>> };
  const services = config.services ?? {};
  assert.ok(Object.keys(services).length >= 1, `no services in the docker-compose config output of ${file}`);
  for (const v of vars) {
    assert.ok(dotEnv[v] !== undefined, `${file} uses \${${v}} but .env does not set it`);
    assert.ok(plain.stdout.includes(dotEnv[v]!), `${file}: the .env value of ${v} (${dotEnv[v]}) is not in the config output`);
  }

  // 2. With the addresses exported (the Aliyun console / `set -a; . ./.env`): the process environment wins.
  if (vars.length > 0) {
    const env = Object.fromEntries(vars.map((v) => [v, envAddress(Number(v.split('_')[1]))]));
    const exported = await compose(r.dir, file, env);
    assert.equal(exported.code, 0, `docker-compose config ${file} with ${vars.join(', ')} exported:\n${show(exported)}`);
    for (const v of vars) assert.ok(exported.stdout.includes(env[v]!), `${file}: exported ${v}=${env[v]} is not in the output`);
  }

  if (target === 'aliyun') checkAliyunConfig(services, file, network);
  if (target === 'swarm') await checkSwarmStack(r, file, vars, services);
}

/**
 * A secured render: every service mounts its own server's directory of secrets/ beside the compose
 * file read-only (as docker-compose config resolves it), the directories are 0700 and the files 0600,
 * and no secret (a private key, a SASL password) is in the compose file or its config output.
 */
async function checkSecretsBeside(r: Rendered, file: string, inventory: string): Promise<void> {
  const plain = await compose(r.dir, file);
  const services = (YAML.parse(plain.stdout) as { services: Record<string, { volumes?: (string | { source: string; target: string; read_only?: boolean })[] }> }).services;
  const secretsRoot = path.join(r.dir, 'secrets');
  for (const [name, svc] of Object.entries(services)) {
    const mounts = (svc.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0]!, target: v.split(':')[1]!, read_only: v.endsWith(':ro') } : v));
    const secrets = mounts.find((m) => m.target === '/zkplan-secrets');
    assert.ok(secrets, `${file}: service ${name} mounts no secrets: ${JSON.stringify(svc.volumes)}`);
    assert.equal(secrets.source, path.join(secretsRoot, name), `${file}: service ${name}`);
    assert.equal(secrets.read_only, true, `${file}: service ${name}: the secrets mount is not read-only`);
    assert.equal(statSync(secrets.source).mode & 0o777, 0o700, secrets.source);
    for (const f of readdirSync(secrets.source)) assert.equal(statSync(path.join(secrets.source, f)).mode & 0o777, 0o600, `${secrets.source}/${f}`);
  }
  const tls = path.join(path.dirname(inventory), '.zkplan', 'zk', 'tls');
  const values = readdirSync(tls)
    .filter((f) => f.endsWith('.key') || f.endsWith('.password'))
    .map((f) => readFileSync(path.join(tls, f), 'utf8').trim())
    .map((v) => (v.startsWith('-----') ? v.split('\n')[1]! : v));
  assert.ok(values.length >= 2, `no key or password found in ${tls}`);
  const text = readFileSync(path.join(r.dir, file), 'utf8');
  for (const v of values) assert.ok(!text.includes(v) && !plain.stdout.includes(v), `${file}: a secret from ${tls} is in the compose file or its config`);
}

/**
 * A secured Swarm stack: every service names its Docker secrets (mounted under /zkplan-secrets,
 * mode 0400), each declared external (apply --target swarm, or the operator, creates them); the
 * render makes no material and writes no secrets directory, so nothing secret can be in it.
 */
async function checkSwarmSecrets(r: Rendered, file: string): Promise<void> {
  const plain = await compose(r.dir, file);
  const config = YAML.parse(plain.stdout) as {
    services: Record<string, { secrets?: { source: string; target: string; mode?: number }[] }>;
    secrets?: Record<string, { external?: boolean | { name: string } }>;
  };
  for (const [name, svc] of Object.entries(config.services)) {
    const secrets = svc.secrets ?? [];
    assert.ok(secrets.length >= 2, `${file}: service ${name} names no secrets: ${JSON.stringify(svc)}`);
    for (const sec of secrets) {
      assert.match(sec.target, /^\/zkplan-secrets\//, `${file}: service ${name}: secret ${sec.source}`);
      assert.equal(sec.mode, 0o400, `${file}: service ${name}: secret ${sec.source} mode`);
      assert.ok(config.secrets?.[sec.source]?.external, `${file}: secret ${sec.source} is not declared external`);
    }
  }
  assert.ok(!existsSync(path.join(r.dir, 'secrets')), `${file}: a Swarm render wrote a secrets directory`);
}

/** The classic-Swarm placement stays an environment entry `constraint:<label>==<n>`. */
function checkAliyunConfig(services: Record<string, Record<string, unknown>>, file: string, network: string): void {
  for (const [name, svc] of Object.entries(services)) {
    const env = envEntries(svc.environment as EnvValue);
    const constraints = env.filter((e) => e.startsWith('constraint:'));
    assert.equal(constraints.length, 1, `${file}: service ${name} should carry one constraint:… environment entry, has ${JSON.stringify(env)}`);
    assert.match(constraints[0]!, /^constraint:[A-Za-z0-9_.-]+==\S+$/, `${file}: service ${name}: ${constraints[0]}`);
    // every bundled host inventory pins server n to aliyun.node_index == n
    const id = env.find((e) => /^(SERVER_ID|ZOO_MY_ID)=/.test(e))?.split('=')[1];
    const pinned = /^constraint:aliyun\.node_index==(\d+)$/.exec(constraints[0]!);
    if (pinned && id !== undefined) assert.equal(pinned[1], id, `${file}: service ${name} (id ${id}) pinned to ${constraints[0]}`);
    // host: `net: host`; overlay: no net key (the classic-Swarm cluster's overlay network is the default)
    if (network === 'host') assert.equal(svc.network_mode, 'host', `${file}: service ${name} should keep net: host`);
    else assert.notEqual(svc.network_mode, 'host', `${file}: service ${name} on ${network} has net: host`);
    assert.equal(svc.deploy, undefined, `${file}: service ${name}: a v1 file has no deploy section`);
  }
}

/**
 * A stack with host addresses: `${ZOOKEEPER_n:?…}` must make docker-compose fail with the variable
 * unset (no .env beside it: `docker stack deploy` does not read .env either) and pass with it exported.
 */
async function checkSwarmStack(
  r: Rendered,
  file: string,
  vars: string[],
  services: Record<string, Record<string, unknown>>,
): Promise<void> {
  for (const [name, svc] of Object.entries(services)) {
    const deploy = svc.deploy as { placement?: { constraints?: string[] } } | undefined;
    const constraints = deploy?.placement?.constraints ?? [];
    assert.ok(
      // pinned: the node's pin label; spread: the host the planner chose, by hostname
      constraints.some((c) => /^node\.(labels\.\S+|hostname) == \S+$/.test(c)),
      `${file}: service ${name} has no node.labels or node.hostname placement constraint: ${JSON.stringify(constraints)}`,
    );
  }
  const text = readFileSync(path.join(r.dir, file), 'utf8');
  const bare = mkdtempSync(path.join(work, 'bare-'));
  copyFileSync(path.join(r.dir, file), path.join(bare, file));
  const unset = await compose(bare, file);
  if (vars.length === 0) {
    // overlay: peers by service name, nothing to interpolate
    assert.doesNotMatch(text, /\$\{/, `${file} has no host variables but some other \${…}`);
    assert.equal(unset.code, 0, `docker-compose config ${file} (no .env):\n${show(unset)}`);
    return;
  }
  for (const v of vars) assert.match(text, new RegExp(`\\$\\{${v}:\\?`), `${file}: \${${v}} is not a required variable (\${${v}:?…})`);
  assert.notEqual(unset.code, 0, `docker-compose config ${file} must fail with ${vars.join(', ')} unset:\n${show(unset)}`);
  assert.match(unset.stderr, /Missing mandatory value/, show(unset));
  assert.match(unset.stderr, new RegExp(`\\b${vars[0]}\\b`), `the error should name ${vars[0]}:\n${unset.stderr}`);
  const exported = await compose(bare, file, Object.fromEntries(vars.map((v) => [v, envAddress(Number(v.split('_')[1]))])));
  assert.equal(exported.code, 0, `docker-compose config ${file} (no .env, variables exported):\n${show(exported)}`);
}

async function checkScript(r: Rendered, file: string): Promise<void> {
  const full = path.join(r.dir, file);
  const syntax = await exec(['sh', '-n', full]);
  assert.equal(syntax.code, 0, `sh -n ${file}:\n${show(syntax)}`);
  assert.match(readFileSync(full, 'utf8'), /^#!\/bin\/sh\n/, `${file} should start with #!/bin/sh`);
  assert.ok((statSync(full).mode & 0o111) !== 0, `${file} is not executable (mode ${(statSync(full).mode & 0o777).toString(8)})`);
}

// ---------------------------------------------------------------------------------------------
// tests

after(() => {
  if (!process.env.ZKPLAN_KEEP_RENDERED) rmSync(work, { recursive: true, force: true });
  else console.log(`# rendered files kept in ${work}`);
});

describe('rendered files pass docker-compose config and sh -n', { timeout: 300_000 }, () => {
  it(`${COMPOSE} is installed`, async () => {
    const v = await exec([COMPOSE, 'version', '--short']);
    assert.equal(v.code, 0, show(v));
    console.log(`# ${COMPOSE} ${v.stdout.trim()}`);
  });

  for (const c of [...bundled, ...variants]) {
    describe(`${c.name} (network ${c.network}, profile ${c.profile})`, () => {
      const rendered = new Set<TargetName>();

      for (const target of TARGET_NAMES) {
        it(target, async (t) => {
          const dir = path.join(work, 'out', c.name, target);
          const r = await render(c.file, target, dir);
          if (r.code === 2 && !expectedTargets(c).includes(target)) {
            // A refusal is this pair's expected result, asserted here; nothing is rendered to check.
            const reason = c.secured ? /has a security block: .* target \S+ cannot carry them|needs an ensemble with network/ : /needs an ensemble with network/;
            assert.match(r.err, reason, `exit 2 for another reason:\n${r.err}`);
            t.diagnostic(`refused as expected: ${r.err.trim().split('\n')[0]}`);
            return;
          }
          assert.equal(r.code, 0, `zkplan render ${c.name} --target ${target} exited ${r.code}:\n${r.err}`);
          rendered.add(target);
          const yml = r.files.filter((f) => /\.ya?ml$/.test(f));
          const scripts = r.files.filter((f) => f.endsWith('.sh'));
          if (target === 'run-scripts') {
            assert.ok(scripts.length >= 1, `run-scripts wrote no .sh file: ${r.files.join(', ')}`);
            assert.equal(yml.length, 0);
            await Promise.all(scripts.map((f) => checkScript(r, f)));
            t.diagnostic(`sh -n ok: ${scripts.join(', ')}`);
          } else {
            assert.ok(yml.length >= 1, `${target} wrote no .yml file: ${r.files.join(', ')}`);
            await Promise.all(yml.map((f) => checkComposeFile(r, f, target, c.network)));
            if (c.secured) await Promise.all(yml.map((f) => (target === 'swarm' ? checkSwarmSecrets(r, f) : checkSecretsBeside(r, f, c.file))));
            t.diagnostic(`docker-compose config ok: ${yml.join(', ')}${c.secured ? (target === 'swarm' ? '; secrets named as external Docker secrets' : '; secrets mounted read-only from beside it') : ''}`);
          }
        });
      }

      it('renders at least the targets its network promises', () => {
        for (const target of expectedTargets(c)) assert.ok(rendered.has(target), `${c.name}: ${target} did not render`);
      });
    });
  }
});
