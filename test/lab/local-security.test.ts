// `zkplan up --local` of a secured ensemble (quorum TLS, client TLS only, quorum SASL) for each of
// the reference article's single-host methods, on one lab host's engine, the CLI run inside the
// host's network namespace as in local.test.ts. Checked independently of zkplan's own verify:
// the servers' logs say TLS quorum and SASL; zkplan's client certificate (from the material it
// keeps beside the inventory) writes and reads a znode over TLS; a plain-text client gets no
// answer; the secrets directories are private and mounted read-only; no secret value (SASL
// password, private keys, fingerprint key) is in `docker inspect`, `ps`, zkplan's output or the
// compose body rendered for the same inventory; `down` removes the servers' copies.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalUpReport } from '../../src/cli/up.js';
import { tlsDial } from '../../src/verify/tls-dial.js';
import { writeAndReadBack } from '../../src/verify/znode.js';
import { IMAGES, labUp, run, type ExecResult, type Lab, type LabHost, netnsDial, zkplanInNetns as zkplan } from './lab.js';

const HOST = 1;
const METHODS = ['bridge', 'links', 'static-ip'] as const;
const OWNED = ['--filter', 'label=io.zkplan.local=true'];

function show(r: ExecResult): string {
  return `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`;
}

function inventoryText(method: (typeof METHODS)[number]): string {
  return [
    'hosts:',
    '  - { name: local, address: 127.0.0.1 }',
    'ensembles:',
    '  - name: zk',
    '    servers: 3',
    `    image: ${IMAGES.official}`,
    '    profile: official',
    `    network: ${method}`,
    '    publish_address: 127.0.0.1',
    '    service_prefix: zk',
    '    security: { quorum_tls: true, client_tls: only, quorum_sasl: true }',
    '',
  ].join('\n');
}

/** Every secret value zkplan made for the ensemble: passwords, the fingerprint key, each private key's body. */
function secretValues(tls: string): string[] {
  return readdirSync(tls)
    .filter((f) => f.endsWith('.key') || f.endsWith('.password'))
    .flatMap((f) => {
      const text = readFileSync(path.join(tls, f), 'utf8').trim();
      return text.startsWith('-----') ? text.split('\n').filter((l) => !l.startsWith('-----')) : [text];
    });
}

describe('zkplan up --local of a secured ensemble', { timeout: 1_800_000 }, () => {
  let lab: Lab;
  let host: LabHost;
  const work = mkdtempSync(path.join(os.tmpdir(), 'zkplan-local-security-'));
  const docker = (args: string[]) => lab.docker(HOST, args, { allowFail: true });
  const lines = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort();

  before(async () => {
    lab = await labUp(3);
    host = lab.host(HOST);
    assert.deepEqual(await lines(['ps', '-aq', ...OWNED]), [], 'no local ensemble left from an earlier run');
  });

  after(async () => {
    if (host) {
      for (const m of METHODS) {
        const inv = path.join(work, m, 'inv.yml');
        if (existsSync(inv)) await zkplan(host, ['down', inv, '--purge-data', '--yes']);
      }
      const ids = await lines(['ps', '-aq', ...OWNED]);
      if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
      for (const n of await lines(['network', 'ls', '-q', ...OWNED])) await docker(['network', 'rm', n]);
      const vols = await lines(['volume', 'ls', '-q', ...OWNED]);
      if (vols.length) await docker(['volume', 'rm', ...vols]);
    }
    rmSync(work, { recursive: true, force: true });
  });

  for (const method of METHODS) {
    it(`${method}: proven over TLS with zkplan's certificate, plain clients get nothing, no secret anywhere, down removes the copies`, async (t) => {
      const dir = path.join(work, method);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      const inv = path.join(dir, 'inv.yml');
      writeFileSync(inv, inventoryText(method));

      const started = Date.now();
      const up = await zkplan(host, ['up', inv, '--local', '--timeout', '300', '--json']);
      assert.equal(up.code, 0, show(up));
      const [report] = JSON.parse(up.stdout) as LocalUpReport[];
      assert.equal(report!.ok, true);
      assert.deepEqual(report!.rollout.counts, { create: 3, change: 0, unchanged: 0 });
      assert.deepEqual(report!.health.servers.map((s) => s.mode).sort(), ['follower', 'follower', 'leader']);
      t.diagnostic(`${method}: secured up --local proven in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      // The servers run TLS between them and SASL.
      for (const n of [1, 2, 3]) {
        const logs = await docker(['logs', `zk${n}`]);
        const text = logs.stdout + logs.stderr;
        assert.match(text, /Using TLS encrypted quorum communication/, `zk${n}: no TLS quorum in its log`);
        assert.match(text, /Using DIGEST-MD5 for quorum authorization/, `zk${n}: no quorum SASL in its log`);
      }

      // Secrets: private directories, mounted read-only.
      const local = path.join(dir, '.zkplan', 'zk', 'local-secrets');
      assert.equal(statSync(local).mode & 0o777, 0o700);
      for (const n of [1, 2, 3]) {
        const d = path.join(local, `zk${n}`);
        assert.equal(statSync(d).mode & 0o777, 0o700);
        assert.deepEqual(readdirSync(d).sort(), ['ca.pem', 'jaas.conf', 'server.pem']);
        for (const f of readdirSync(d)) assert.equal(statSync(path.join(d, f)).mode & 0o777, 0o600);
      }
      const inspectText = (await docker(['container', 'inspect', 'zk1', 'zk2', 'zk3'])).stdout;
      const inspect = JSON.parse(inspectText) as { Mounts: { Source: string; Destination: string; RW: boolean }[] }[];
      inspect.forEach((c, i) => {
        const m = c.Mounts.find((x) => x.Destination === '/zkplan-secrets');
        assert.ok(m, `zk${i + 1} has no secrets mount`);
        assert.equal(m.Source, path.join(local, `zk${i + 1}`));
        assert.equal(m.RW, false, 'the secrets are mounted read-only');
      });

      // zkplan's own client certificate: a znode written through zk1 is read through zk3, over TLS.
      const tls = path.join(dir, '.zkplan', 'zk', 'tls');
      const client = { key: readFileSync(path.join(tls, 'zkplan-client.key')), cert: readFileSync(path.join(tls, 'zkplan-client.pem')), ca: readFileSync(path.join(tls, 'ca.pem')) };
      const znode = await writeAndReadBack(
        [
          { id: 1, address: '127.0.0.1', port: 2181 },
          { id: 3, address: '127.0.0.1', port: 2183 },
        ],
        tlsDial(netnsDial(host), client),
        { timeoutMs: 60_000, path: `/lab-local-secured-${method}` },
      );
      assert.equal(znode.writtenVia, 1, JSON.stringify(znode));
      assert.deepEqual(znode.readVia, [{ id: 3, ok: true }]);

      // A plain-text client gets no answer on the TLS-only client port.
      const plain = await run(['sh', '-c', `printf srvr | nsenter --net=/run/netns/${host.netns} nc -w 5 127.0.0.1 2182`], { allowFail: true, timeoutMs: 30_000 });
      assert.doesNotMatch(plain.stdout, /Zookeeper version|Mode:/, 'a plain client was answered');

      // No secret value in docker inspect, ps, zkplan's output or the rendered compose body.
      const secrets = secretValues(tls);
      assert.ok(secrets.length >= 6, `only ${secrets.length} secret values found`);
      const ps = await run(['ps', 'auxww'], { allowFail: true });
      const compose = await zkplan(host, ['render', inv, '--target', `compose-${method}`]);
      assert.equal(compose.code, 0, show(compose));
      const places: [string, string][] = [
        ['docker inspect', inspectText],
        ['ps', ps.stdout],
        ['zkplan up output', up.stdout + up.stderr],
        ['compose body', compose.stdout + compose.stderr],
      ];
      for (const [where, text] of places) for (const s of secrets) assert.ok(!text.includes(s), `a secret value is in the ${where}`);

      // Down: the containers and the servers' copies of the secrets go; the material stays for the next up.
      const down = await zkplan(host, ['down', inv, '--purge-data', '--yes']);
      assert.equal(down.code, 0, show(down));
      assert.deepEqual(await lines(['ps', '-aq', ...OWNED]), []);
      assert.equal(existsSync(local), false, 'down leaves the servers\' copies of the secrets');
      assert.ok(existsSync(path.join(tls, 'ca.key')));
    });
  }
});
