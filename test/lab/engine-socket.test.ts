// The host target reaches each host's Docker engine through the Engine API on its SSH
// connection. Every lab host's dockerd listens on a non-default socket (<lab>/hN/docker.sock),
// which only SSH sessions learn, through sshd's `SetEnv DOCKER_HOST=...`: zkplan finds it from
// the login session once and remembers it in the state_dir; a wrong remembered address is
// found again; the inventory's docker_host is used as given (a wrong one fails, naming it,
// changing nothing). The container the API makes is the one the pushed run.sh makes: every
// field docker run sets compares equal, memory limit and command included.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { ensureBuilt, type Lab, labUp, run, waitForQuorum, zkplanCli, type ExecResult } from './lab.js';

const ENS = 'zkes';
const CLI_TIMEOUT = ['--timeout', '180'];

function explain(r: ExecResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe('the Docker engine on a non-default socket, through the Engine API over SSH', { timeout: 900_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  const stateDir = (i: number) => path.join(lab.info.stateDir, lab.host(i).name, 'zkplan');
  const remembered = (i: number) => path.join(stateDir(i), '.docker-host');

  /** The inventory with per-host docker_host settings (undefined: none). */
  async function writeInventory(dockerHost: (i: number) => string | undefined): Promise<void> {
    await lab.writeInventory(inventory, { profile: 'official', ensembleName: ENS, extra: { memory: '512m' } });
    const doc = YAML.parse(await readFile(inventory, 'utf8')) as { hosts: Record<string, unknown>[] };
    doc.hosts.forEach((h, k) => {
      const value = dockerHost(k + 1);
      if (value !== undefined) h.docker_host = value;
    });
    await writeFile(inventory, YAML.stringify(doc));
  }

  async function inspect(i: number, name: string): Promise<any> {
    return (JSON.parse((await lab.docker(i, ['container', 'inspect', name])).stdout) as any[])[0];
  }

  before(async () => {
    await ensureBuilt();
    lab = await labUp(3);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-engine-socket-'));
    inventory = path.join(dir, 'inventory.yml');
    await lab.removeEnsemble(ENS);
    for (const i of [1, 2, 3]) await rm(remembered(i), { force: true });
  });

  after(async () => {
    await lab?.removeEnsemble(ENS);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each lab host is one whose engine socket is not the default one', () => {
    for (const i of [1, 2, 3]) {
      assert.notEqual(lab.host(i).dockerSocket, '/var/run/docker.sock');
      assert.ok(!existsSync('/var/run/docker.sock') || lab.host(i).dockerSocket !== '/var/run/docker.sock');
    }
  });

  it('the inventory docker_host is used as given: a wrong one fails naming it, with nothing changed and no lock left', async () => {
    const wrong = `unix://${path.join(lab.info.stateDir, 'no-such-engine.sock')}`;
    await writeInventory((i) => (i === 2 ? wrong : undefined));
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 1, explain(r));
    assert.match(r.stderr, /h2: /);
    assert.ok(r.stderr.includes(wrong), `the error names ${wrong}:\n${r.stderr}`);
    for (const i of [1, 2, 3]) {
      assert.deepEqual(await lab.ensembleContainers(i, ENS), [], `h${i} got a container`);
      assert.ok(!existsSync(path.join(stateDir(i), 'locks', ENS, 'lock')), `h${i} kept the lock`);
    }
  });

  it('without docker_host, the engine is found from the login session (sshd SetEnv) and remembered', async () => {
    for (const i of [1, 2, 3]) await rm(remembered(i), { force: true });
    await writeInventory(() => undefined);
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENS}: 3 to create, 0 to change, 0 unchanged$`, 'm'));
    for (const i of [1, 2, 3]) {
      assert.equal((await lab.ensembleContainers(i, ENS)).length, 1, `h${i}'s own engine runs its server`);
      assert.equal(readFileSync(remembered(i), 'utf8'), `unix://${lab.host(i).dockerSocket}\n`);
    }
    const q = await waitForQuorum(lab.addresses, 60_000);
    assert.equal(q.followers.length, 2);
  });

  it('a remembered address that no longer answers is found again, and corrected', async () => {
    writeFileSync(remembered(3), `unix://${path.join(lab.info.stateDir, 'gone.sock')}\n`);
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENS}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
    assert.equal(readFileSync(remembered(3), 'utf8'), `unix://${lab.host(3).dockerSocket}\n`);
  });

  it('with the sftp-server subsystem (Debian\'s default), the address comes from the session\'s environment, with no exec', async () => {
    // A second sshd in h2's namespace, the lab's own configuration with the external
    // sftp-server (started through the login shell, so it carries the session's DOCKER_HOST).
    const h2 = lab.host(2);
    const hostDir = path.dirname(h2.dockerSocket);
    const config = path.join(dir, 'sshd_config_sftp_server');
    const pidFile = path.join(dir, 'sshd-sftp-server.pid');
    const base = await readFile(path.join(hostDir, 'sshd_config'), 'utf8');
    await writeFile(
      config,
      base
        .replace(/^ListenAddress .*$/m, `ListenAddress ${h2.address}:2222`)
        .replace(/^PidFile .*$/m, `PidFile ${pidFile}`)
        .replace(/^Subsystem sftp .*$/m, 'Subsystem sftp /usr/lib/openssh/sftp-server'),
    );
    const started = await run(['nsenter', `--net=/run/netns/${h2.netns}`, '/usr/sbin/sshd', '-f', config, '-E', path.join(dir, 'sshd-sftp-server.log')], { allowFail: true });
    assert.equal(started.code, 0, explain(started));
    try {
      for (const i of [1, 2, 3]) await rm(remembered(i), { force: true });
      await writeInventory(() => undefined);
      const doc = YAML.parse(await readFile(inventory, 'utf8')) as { hosts: Record<string, unknown>[] };
      const knownHosts = path.join(dir, 'known_hosts');
      const h2Key = (await readFile(lab.info.knownHosts, 'utf8')).split('\n').find((l) => l.startsWith(`${h2.address},`))!.split(' ').slice(1).join(' ');
      await writeFile(knownHosts, `${await readFile(lab.info.knownHosts, 'utf8')}[${h2.address}]:2222 ${h2Key}\n`);
      doc.hosts[1]!.ssh = { port: 2222, known_hosts: knownHosts };
      await writeFile(inventory, YAML.stringify(doc));
      const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT], { env: { ...process.env, ZKPLAN_TRACE: '1' } });
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ENS}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
      assert.match(r.stderr, new RegExp(`engine h2 .* environment: unix://${h2.dockerSocket}`), r.stderr);
      // internal-sftp runs inside sshd, whose environment is not the session's: the CLI is asked
      assert.match(r.stderr, /engine h1 .* discovered: /, r.stderr);
      assert.equal(readFileSync(remembered(2), 'utf8'), `unix://${h2.dockerSocket}\n`);
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  });

  it('with docker_host set, that socket is used and nothing is asked or remembered; status reads the same engines', async () => {
    for (const i of [1, 2, 3]) await rm(remembered(i), { force: true });
    await writeInventory((i) => `unix://${lab.host(i).dockerSocket}`);
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENS}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
    for (const i of [1, 2, 3]) assert.ok(!existsSync(remembered(i)), `h${i}: an address was remembered although the inventory names it`);
    const s = await zkplanCli(['status', inventory, '--json']);
    assert.equal(s.code, 0, explain(s));
    const [status] = JSON.parse(s.stdout) as { servers: { container: string; drift: string[] }[] }[];
    assert.deepEqual(status!.servers.map((x) => [x.container, x.drift]), [['running', []], ['running', []], ['running', []]]);
  });

  it('the API-made container and the one run.sh makes are the same container (memory, command, env, labels, mounts, ...)', async () => {
    const name = `${ENS}1`;
    const made = await inspect(1, name);
    const runSh = path.join(stateDir(1), ENS, 'run.sh');
    const byHand = await lab.ssh(1, ['sh', runSh, name]);
    assert.equal(byHand.code, 0, explain(byHand));
    const again = await inspect(1, name);
    assert.notEqual(again.Id, made.Id, 'run.sh did not re-create the container');
    const fields = (c: any) => ({
      image: c.Config.Image,
      cmd: c.Config.Cmd,
      entrypoint: c.Config.Entrypoint,
      env: c.Config.Env,
      labels: c.Config.Labels,
      user: c.Config.User,
      exposed: c.Config.ExposedPorts ?? null,
      // the docker CLI collects -v options in a Go map: the order of Binds is random, not the command line's
      binds: [...c.HostConfig.Binds].sort(),
      network: c.HostConfig.NetworkMode,
      restart: c.HostConfig.RestartPolicy,
      memory: c.HostConfig.Memory,
      memorySwap: c.HostConfig.MemorySwap,
      ports: c.HostConfig.PortBindings,
      links: c.HostConfig.Links,
      // an anonymous volume of the image gets a new name with every container
      mounts: (c.Mounts as any[]).map((m) => [m.Type, m.Type === 'bind' ? m.Source : '', m.Destination, m.RW]).sort(),
    });
    assert.equal(made.HostConfig.Memory, 512 * 1024 * 1024, 'the memory setting reached the API-made container');
    assert.deepEqual(fields(again), fields(made));
    await waitForQuorum(lab.addresses, 60_000);
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENS}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
  });
});
