// A secured single-host ensemble rendered for its compose targets: the compose file mounts each
// server's secrets directory read-only from `secrets/` beside it and carries no secret;
// `render -o DIR/` writes that directory (0700/0600) from the ensemble's key material and warns
// once; a stdout or single-file render writes no secret and says where they would go; targets
// that cannot carry secrets refuse with their reason. Real files in a temporary directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { processIo, type Io } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';

const work = mkdtempSync(path.join(tmpdir(), 'zkplan-render-secured-'));
after(() => rmSync(work, { recursive: true, force: true }));

function inventory(dir: string, network = 'bridge', security = '{ quorum_tls: true, client_tls: only, quorum_sasl: true, client_sasl: true, quorum_sasl_password: { env: ZKT_QUORUM_PW } }'): string {
  const file = path.join(dir, 'inv.yml');
  writeFileSync(
    file,
    `hosts:\n  - { name: local, address: 127.0.0.1 }\nensembles:\n  - name: zk\n    servers: 3\n    image: zookeeper:3.8.4\n    network: ${network}\n` +
      `    docker_network: { name: zknet }\n    security: ${security}\n`,
  );
  return file;
}

async function render(args: string[], env: NodeJS.ProcessEnv = { ZKT_QUORUM_PW: 'quorum-Secret-42' }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = process.env.ZKT_QUORUM_PW;
  if (env.ZKT_QUORUM_PW === undefined) delete process.env.ZKT_QUORUM_PW;
  else process.env.ZKT_QUORUM_PW = env.ZKT_QUORUM_PW;
  try {
    const io: Io = { ...processIo, out: (t) => void (out += t), err: (t) => void (err += t), env };
    const code = await runCli(['render', ...args], io);
    return { code, out, err };
  } finally {
    if (saved === undefined) delete process.env.ZKT_QUORUM_PW;
    else process.env.ZKT_QUORUM_PW = saved;
  }
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('render of a secured single-host ensemble', () => {
  it('to standard output: the compose body alone, no secret made or written, and where the secrets would go', async () => {
    const dir = mkdtempSync(path.join(work, 'stdout-'));
    const r = await render([inventory(dir), '-t', 'compose-bridge']);
    assert.equal(r.code, 0, r.err);
    const doc = parse(r.out) as { services: Record<string, { volumes: string[] }> };
    for (const n of [1, 2, 3]) assert.ok(doc.services[`zk${n}`]!.volumes.includes(`./secrets/zk${n}:/zkplan-secrets:ro`));
    assert.match(r.err, /secrets not written: the compose file mounts secrets\/<server>\/ beside it .*render -o DIR\/ writes it there/);
    assert.equal(existsSync(path.join(dir, '.zkplan')), false, 'no key material made for a stdout render');
  });

  it('-o DIR/: the secrets directory beside the compose file, private, one warning, no secret in the compose body', async () => {
    const dir = mkdtempSync(path.join(work, 'dir-'));
    const out = path.join(dir, 'out');
    const r = await render([inventory(dir), '-t', 'compose-bridge', '-o', `${out}/`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err.match(/WARNING: secret files/g)?.length, 1, r.err);
    assert.match(r.err, new RegExp(`WARNING: secret files \\(private keys, SASL passwords\\) written beside the compose file in ${out}/secrets/ \\(9 files; directories 0700, files 0600`));
    assert.deepEqual(readdirSync(path.join(out, 'secrets')).sort(), ['zk1', 'zk2', 'zk3']);
    assert.equal(mode(path.join(out, 'secrets')), 0o700);
    for (const s of ['zk1', 'zk2', 'zk3']) {
      const d = path.join(out, 'secrets', s);
      assert.equal(mode(d), 0o700);
      assert.deepEqual(readdirSync(d).sort(), ['ca.pem', 'jaas.conf', 'server.pem']);
      for (const f of readdirSync(d)) assert.equal(mode(path.join(d, f)), 0o600, `${s}/${f}`);
      // the image reads them as its own user (uid 1000), which only root can hand them to
      if (process.getuid?.() === 0) assert.equal(statSync(path.join(d, 'server.pem')).uid, 1000);
    }
    // the server's certificate names what peers and clients reach it by
    const cert = new X509Certificate(readFileSync(path.join(out, 'secrets', 'zk2', 'server.pem')));
    assert.equal(cert.subjectAltName, 'DNS:zk2, DNS:zk2.zknet, IP Address:127.0.0.1');
    const jaas = readFileSync(path.join(out, 'secrets', 'zk1', 'jaas.conf'), 'utf8');
    assert.match(jaas, /password="quorum-Secret-42"/);
    const body = readFileSync(path.join(out, 'docker-compose.yml'), 'utf8');
    const keyLine = readFileSync(path.join(out, 'secrets', 'zk1', 'server.pem'), 'utf8').split('\n')[1]!;
    const clientPassword = readFileSync(path.join(dir, '.zkplan', 'zk', 'tls', 'client-sasl.password'), 'utf8').trim();
    for (const secret of ['quorum-Secret-42', keyLine, clientPassword]) {
      assert.ok(!body.includes(secret), 'a secret in the compose file');
      assert.ok(!r.err.includes(secret) && !r.out.includes(secret), 'a secret in the output');
    }
    // rendered again: the same material (reused, not made again), the same files
    const first = readFileSync(path.join(out, 'secrets', 'zk3', 'server.pem'));
    const again = await render([inventory(dir), '-t', 'compose-bridge', '-o', `${out}/`]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /key material in .*: reused/);
    assert.deepEqual(readFileSync(path.join(out, 'secrets', 'zk3', 'server.pem')), first);
  });

  it('-o FILE writes the compose file only and says the secrets were not written', async () => {
    const dir = mkdtempSync(path.join(work, 'file-'));
    const r = await render([inventory(dir, 'static-ip'), '-t', 'compose-static-ip', '-o', path.join(dir, 'zk.yml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /secrets not written/);
    assert.equal(existsSync(path.join(dir, 'secrets')), false);
    assert.match(readFileSync(path.join(dir, 'zk.yml'), 'utf8'), /- \.\/secrets\/zk1:\/zkplan-secrets:ro/);
  });

  it('a file where the secrets directory goes: refused before anything is written', async () => {
    const dir = mkdtempSync(path.join(work, 'clash-'));
    const out = path.join(dir, 'out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    writeFileSync(path.join(out, 'secrets'), 'not a directory\n');
    const r = await render([inventory(dir), '-t', 'compose-bridge', '-o', `${out}/`]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /secrets is not a directory, but the secured ensemble's secrets go there; nothing was written/);
    assert.equal(existsSync(path.join(out, 'docker-compose.yml')), false);
  });

  it('a password that cannot be read writes nothing', async () => {
    const dir = mkdtempSync(path.join(work, 'nopw-'));
    const out = path.join(dir, 'out');
    const r = await render([inventory(dir, 'links'), '-t', 'compose-links', '-o', `${out}/`], {});
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /security\.quorum_sasl_password: environment variable ZKT_QUORUM_PW is not set/);
    assert.equal(existsSync(out), false);
  });

  it('targets that cannot carry the secrets refuse, each with its reason', async () => {
    const dir = mkdtempSync(path.join(work, 'refuse-'));
    const file = inventory(dir);
    const r = await render([file, '-t', 'run-scripts', '--all']);
    assert.equal(r.code, 2);
    assert.match(r.err, /has a security block: .* target run-scripts cannot carry them \(each script runs on its own host.*\); a secured ensemble renders for compose-bridge, compose-links, compose-static-ip/);
  });
});
