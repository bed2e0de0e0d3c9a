// The reference article's method 1 as zkplan renders it, deployed for real on three lab hosts:
//  - the `aliyun` target (legacy compose v1, `net: host`, `constraint:aliyun.node_index==n` in
//    `environment`): accepted by `docker-compose config` once ZOOKEEPER_n are set, then
//    `docker-compose up -d zookeeperN` on each host with only that host's service selected;
//  - the `run-scripts` target: each host's script copied to it over ssh and run with `sh`.
// Each must form a quorum (one leader, the rest followers) and pass a znode write/read-back.
// The time from the first deploy command to the proven ensemble is reported as a diagnostic.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { processIo, type Io } from '../../src/cli/io.js';
import { directDialWithTimeout } from '../../src/verify/dial.js';
import { writeAndReadBack } from '../../src/verify/znode.js';
import { labUp, run, waitForQuorum, type ExecResult, type Lab } from './lab.js';

const COMPOSE = process.env.DOCKER_COMPOSE ?? 'docker-compose';
const PROJECT = 'zkplanarticle';
const QUORUM_TIMEOUT_MS = 180_000;

/** Runs zkplan in-process; output is captured, files are written for real. */
async function zkplan(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { ...processIo, out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** The environment without anything that would change what docker-compose interpolates or talks to. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ZOOKEEPER_\d+|COMPOSE_.*|DOCKER_.*)$/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function show(r: ExecResult): string {
  return `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout.slice(0, 3000)}`;
}

describe('the reference article\'s templates on three lab hosts', { timeout: 900_000 }, () => {
  let lab: Lab;
  let work: string;
  let dataDir: string;
  let hostVars: Record<string, string>;

  /** Removes every container of the lab hosts that these tests made, and their data. */
  async function cleanHosts(): Promise<void> {
    await Promise.all(
      lab.hosts.map(async (_, i) => {
        for (const filter of [`label=com.docker.compose.project=${PROJECT}`, 'label=io.zkplan.ensemble=zk']) {
          const ids = (await lab.docker(i + 1, ['ps', '-aq', '--filter', filter], { allowFail: true })).stdout.split('\n').filter(Boolean);
          if (ids.length) await lab.docker(i + 1, ['rm', '-f', '-v', ...ids], { allowFail: true });
        }
      }),
    );
    await rm(dataDir, { recursive: true, force: true });
    for (const h of lab.hosts) for (const p of ['aliyun', 'official']) await rm(copiedScript(h.name, p), { force: true });
  }

  const copiedScript = (host: string, profile: string) => path.join(lab.info.stateDir, host, `zkplan-${profile}.sh`);

  async function proveQuorum(t: { diagnostic(s: string): void }, what: string, startedAt: number): Promise<void> {
    const q = await waitForQuorum(lab.addresses, QUORUM_TIMEOUT_MS);
    const znode = await writeAndReadBack(
      lab.hosts.map((h, i) => ({ id: i + 1, address: h.address, port: 2181 })),
      directDialWithTimeout(5000),
      { timeoutMs: 60_000, path: `/lab-article-${what.replace(/\W+/g, '-')}` },
    );
    assert.ok(znode.ok, JSON.stringify(znode));
    assert.equal(znode.readVia.length, lab.hosts.length - 1);
    t.diagnostic(`${what}: first deploy command → quorum (leader ${q.leader}) + znode read back through every server in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  before(async () => {
    lab = await labUp(3);
    work = await mkdtemp(path.join(os.tmpdir(), 'zkplan-article-'));
    dataDir = path.join(lab.info.stateDir, 'hostdata', 'zk');
    hostVars = Object.fromEntries(lab.hosts.map((h, i) => [`ZOOKEEPER_${i + 1}`, h.address]));
    await cleanHosts();
  });

  after(async () => {
    if (!lab) return;
    await cleanHosts();
    await rm(work, { recursive: true, force: true });
  });

  it('aliyun compose: docker-compose config accepts it with ZOOKEEPER_n set; up -d of each host\'s service forms a quorum', async (t) => {
    const inventory = path.join(work, 'aliyun.yml');
    await lab.writeInventory(inventory, { profile: 'aliyun' });
    const out = path.join(work, 'aliyun');
    const rendered = await zkplan(['render', inventory, '--target', 'aliyun', '-o', `${out}/`]);
    assert.equal(rendered.code, 0, rendered.err);
    // Keep only the compose file (compose reads .env from the file's directory): the variables
    // must come from the environment, as the Aliyun console gives them.
    await rm(path.join(out, '.env'), { force: true });
    assert.deepEqual(await readdir(out), ['docker-compose.yml']);
    const file = path.join(out, 'docker-compose.yml');
    const text = await readFile(file, 'utf8');

    // Legacy v1, host networking, the classic-Swarm constraint kept in `environment`.
    const doc = YAML.parse(text) as Record<string, { net: string; image: string; environment: string[] }>;
    assert.deepEqual(Object.keys(doc), ['zookeeper1', 'zookeeper2', 'zookeeper3']);
    for (const [i, name] of ['zookeeper1', 'zookeeper2', 'zookeeper3'].entries()) {
      const svc = doc[name]!;
      assert.equal(svc.net, 'host');
      assert.equal(svc.image, 'zkplan-lab/aliyun-contract:latest');
      assert.ok(svc.environment.includes(`constraint:aliyun.node_index==${i + 1}`), svc.environment.join('\n'));
      assert.ok(svc.environment.includes(`ADDITIONAL_ZOOKEEPER_${i + 1}=server.${i + 1}=\${ZOOKEEPER_${i + 1}}:2888:3888`));
    }

    // Without the variables compose substitutes empty strings and says so: they are really read.
    const unset = await run([COMPOSE, '-f', file, 'config'], { env: cleanEnv({}), allowFail: true });
    assert.match(unset.stderr, /The ZOOKEEPER_1 variable is not set/, show(unset));
    const config = await run([COMPOSE, '-f', file, 'config'], { env: cleanEnv(hostVars), allowFail: true });
    assert.doesNotMatch(config.stderr, /variable is not set/, show(config));
    assert.equal(config.code, 0, show(config));
    for (const [i, h] of lab.hosts.entries()) assert.ok(config.stdout.includes(`server.${i + 1}=${h.address}:2888:3888`), show(config));
    // compose splits an entry at its first `=`: the constraint survives as key `constraint:…` with value `=2`.
    const resolved = YAML.parse(config.stdout) as { services: Record<string, { environment: Record<string, string>; network_mode: string }> };
    for (const i of [1, 2, 3]) {
      assert.equal(resolved.services[`zookeeper${i}`]!.environment['constraint:aliyun.node_index'], `=${i}`);
      assert.equal(resolved.services[`zookeeper${i}`]!.network_mode, 'host');
    }

    const started = Date.now();
    const ups = await Promise.all(
      lab.hosts.map((h, i) =>
        run([COMPOSE, '-p', PROJECT, '-f', file, 'up', '-d', `zookeeper${i + 1}`], {
          env: cleanEnv({ ...hostVars, DOCKER_HOST: `unix://${h.dockerSocket}` }),
          allowFail: true,
          timeoutMs: 180_000,
        }),
      ),
    );
    for (const up of ups) assert.equal(up.code, 0, show(up));
    // Each host runs exactly its own service; the constraint reached the container as a plain variable.
    for (const [i] of lab.hosts.entries()) {
      const names = (await lab.docker(i + 1, ['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Label "com.docker.compose.service"}}'])).stdout.trim();
      assert.equal(names, `zookeeper${i + 1}`);
      // A plain engine does not strip the classic-Swarm entry (only Swarm did): it is an ordinary variable.
      const env = JSON.parse((await lab.docker(i + 1, ['inspect', '--format', '{{json .Config.Env}}', `${PROJECT}_zookeeper${i + 1}_1`])).stdout) as string[];
      assert.ok(env.includes(`constraint:aliyun.node_index==${i + 1}`), env.join('\n'));
      assert.ok(env.includes(`SERVER_ID=${i + 1}`));
    }
    await proveQuorum(t, 'aliyun compose (docker-compose up -d per host)', started);
  });

  for (const profile of ['aliyun', 'official'] as const) {
    it(`run-scripts (${profile} image contract): each host's script, run with sh over ssh, forms a quorum`, async (t) => {
      await cleanHosts();
      const inventory = path.join(work, `scripts-${profile}.yml`);
      await lab.writeInventory(inventory, { profile });
      const out = path.join(work, `scripts-${profile}`);
      const rendered = await zkplan(['render', inventory, '--target', 'run-scripts', '-o', `${out}/`]);
      assert.equal(rendered.code, 0, rendered.err);
      assert.deepEqual((await readdir(out)).sort(), ['h1.sh', 'h2.sh', 'h3.sh']);

      const started = Date.now();
      await Promise.all(
        lab.hosts.map(async (h, i) => {
          const script = await readFile(path.join(out, `${h.name}.sh`), 'utf8');
          // Copy it to the host, then run it there with sh, as an operator would.
          const remote = copiedScript(h.name, profile);
          await lab.ssh(i + 1, ['sh', '-c', 'cat > "$1"', 'copy', remote], { input: script });
          const ran = await lab.ssh(i + 1, ['sh', remote], { allowFail: true, timeoutMs: 180_000 });
          assert.equal(ran.code, 0, show(ran));
        }),
      );
      for (const [i] of lab.hosts.entries()) {
        const names = (await lab.docker(i + 1, ['ps', '--filter', 'label=io.zkplan.ensemble=zk', '--format', '{{.Names}}'])).stdout.trim();
        assert.equal(names, profile === 'aliyun' ? `zookeeper${i + 1}` : `zk${i + 1}`);
      }
      await proveQuorum(t, `run-scripts, ${profile} contract (sh on each host)`, started);
    });
  }
});
