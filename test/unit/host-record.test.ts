// The record apply pushes to each host: env files and a run.sh that, run by hand, runs exactly
// what apply runs for each server (so the next apply finds the same config hash).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { allOf } from '../../src/remote/batch.js';
import { recreateContainer } from '../../src/remote/commands/docker.js';
import { desiredContainers } from '../../src/rollout/desired.js';
import { hostRecord } from '../../src/rollout/record.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { caseInventory, planOf, planOfFile, shellSyntaxCheck } from './golden/support.js';

const scratch = mkdtempSync(join(tmpdir(), 'zkplan-record-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// docker and mkdir that only write down their argv, NUL-separated, one call per line.
const bin = join(scratch, 'bin');
mkdirSync(bin);
for (const tool of ['docker', 'mkdir']) {
  writeFileSync(join(bin, tool), `#!/bin/sh\n{ printf '%s\\0' ${tool} "$@"; echo; } >> "$CALLS"\n`, { mode: 0o755 });
}

/** The commands a shell script makes, run with the recording docker and mkdir. */
function callsOf(args: string[], name: string): { calls: string; code: number | null; stderr: string } {
  const log = join(scratch, `${name}.log`);
  writeFileSync(log, '');
  const r = spawnSync('/bin/sh', args, { env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: log }, encoding: 'utf8' });
  return { calls: readFileSync(log, 'utf8'), code: r.status, stderr: r.stderr };
}

const bridge = planOf(caseInventory({ profile: 'official', network: 'bridge' }));
const host = planOfFile('inventories/article-host.yml');

describe('hostRecord', () => {
  it('one env file per server (0600, values verbatim) and run.sh (0755) under <state_dir>/<ensemble>', () => {
    const [d] = desiredServers(host, { kind: 'host' });
    const files = hostRecord('zk', 'zookeeper1', '/etc/zkplan/', [d!]);
    assert.deepEqual(files.map((f) => [f.path, f.mode.toString(8)]), [
      ['/etc/zkplan/zk/zookeeper1.env', '600'],
      ['/etc/zkplan/zk/run.sh', '755'],
    ]);
    assert.equal(files[0]!.content, 'SERVER_ID=1\nADDITIONAL_ZOOKEEPER_1=server.1=192.0.2.11:2888:3888\nADDITIONAL_ZOOKEEPER_2=server.2=192.0.2.12:2888:3888\nADDITIONAL_ZOOKEEPER_3=server.3=192.0.2.13:2888:3888\n');
    shellSyntaxCheck(files[1]!.content);
  });

  it('run.sh holds, byte for byte, the command line apply runs for each server', () => {
    const desired = desiredContainers(bridge, () => '/etc/zkplan');
    const script = hostRecord(bridge.name, 'h1', '/etc/zkplan', desired).at(-1)!.content;
    const lines = script.split('\n');
    for (const d of desired) {
      // what apply runs: src/deploy/apply.ts execute()
      const applied = allOf(recreateContainer(d.spec, { envFile: d.envFile }));
      assert.equal(applied[0], 'sh');
      assert.ok(lines.includes(`  ${applied[2]}`), `${d.name}: ${applied[2]}`);
    }
  });

  it('sh run.sh makes the very calls apply makes; sh run.sh <server> those of that server only', () => {
    const desired = desiredContainers(bridge, () => scratch);
    const files = hostRecord(bridge.name, 'h1', scratch, desired);
    const run = files.at(-1)!;
    mkdirSync(join(scratch, bridge.name), { recursive: true });
    writeFileSync(run.path, run.content);
    const applied = desired.map((d) => callsOf(allOf(recreateContainer(d.spec, { envFile: d.envFile })).slice(1), `apply-${d.name}`).calls);
    assert.ok(applied.every((c) => c.includes('docker\0run\0') && c.includes('io.zkplan.config-hash=')));
    const all = callsOf([run.path], 'all');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.calls, applied.join(''));
    const one = callsOf([run.path, desired[1]!.name], 'one');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.calls, applied[1]);
  });

  it('sh run.sh <unknown> names the servers it has and runs nothing', () => {
    const desired = desiredContainers(bridge, () => scratch);
    const run = hostRecord(bridge.name, 'h1', scratch, desired).at(-1)!;
    writeFileSync(join(scratch, 'unknown.sh'), run.content);
    const r = callsOf([join(scratch, 'unknown.sh'), 'zk9'], 'unknown');
    assert.equal(r.code, 2);
    assert.equal(r.calls, '');
    assert.match(r.stderr, /run\.sh: no server zk9 of ensemble .* on h1 \(zk1, zk2, zk3\)/);
  });

  it('an environment value with a line break is refused, not written', () => {
    const [d] = desiredServers(host, { kind: 'host' });
    const bad = { ...d!, spec: { ...d!.spec, env: [['A', 'x\nLD_PRELOAD=/tmp/x.so'] as [string, string]] } };
    assert.throws(() => hostRecord('zk', 'zookeeper1', '/etc/zkplan', [bad]), /environment entry A contains a line break/);
  });
});
