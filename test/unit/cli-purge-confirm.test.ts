// destroy --purge-data and down --purge-data delete data: asked on a terminal, --yes elsewhere.
// No test here gets past a refusal to a host or engine: every path ends before a connection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runZkplan } from './helpers/cli.js';

const INVENTORY = 'inventories/example.yml'; // no Swarm manager: `--target swarm` stops right after the question
const LOCAL = `hosts:
  - { name: h1, address: 127.0.0.1 }
ensembles:
  - { name: zkl, servers: 3, image: "zookeeper:3.9", network: bridge }
`;

describe('destroy --purge-data', () => {
  it('without a terminal and without --yes: exit 2, a clear message, no question, nothing done', async () => {
    const r = await runZkplan(['destroy', INVENTORY, '--purge-data']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^zkplan: destroy --purge-data deletes the data of ensemble zk \(3 servers on zookeeper1, zookeeper2, zookeeper3\) and standard input is not a terminal to confirm on: pass --yes to go ahead \(nothing was done\)$/m);
    assert.deepEqual(r.asked, []);
  });

  it('on a terminal asks, and a no (or just Enter) stops it with nothing done', async () => {
    for (const answer of ['n', '']) {
      const r = await runZkplan(['destroy', INVENTORY, '--purge-data'], {}, { terminal: { answers: [answer] } });
      assert.equal(r.code, 1);
      assert.deepEqual(r.asked, ['destroy --purge-data deletes the data of ensemble zk (3 servers on zookeeper1, zookeeper2, zookeeper3); this cannot be undone. Go ahead? [y/N] ']);
      assert.match(r.err, /zkplan: not confirmed; nothing was done/);
    }
  });

  it('on a terminal a yes goes on (here to the Swarm check that comes next)', async () => {
    const r = await runZkplan(['destroy', INVENTORY, '--purge-data', '--target', 'swarm'], {}, { terminal: { answers: ['yes'] } });
    assert.equal(r.asked.length, 1);
    assert.equal(r.code, 2);
    assert.match(r.err, /destroy --target swarm needs a Swarm manager/);
  });

  it('--yes goes on without asking', async () => {
    const r = await runZkplan(['destroy', INVENTORY, '--purge-data', '--yes', '--target', 'swarm'], {}, { terminal: { answers: [] } });
    assert.deepEqual(r.asked, []);
    assert.match(r.err, /needs a Swarm manager/);
  });

  it('bad input is reported before any question', async () => {
    const r = await runZkplan(['destroy', 'bad.yml', '--purge-data'], { 'bad.yml': 'hosts: []\n' }, { terminal: { answers: [] } });
    assert.equal(r.code, 2);
    assert.deepEqual(r.asked, []);
    assert.match(r.err, /^bad\.yml:1:8: /m);
  });
});

describe('down --purge-data', () => {
  it('without a terminal and without --yes: exit 2, nothing done', async () => {
    const r = await runZkplan(['down', 'local.yml', '--purge-data'], { 'local.yml': LOCAL });
    assert.equal(r.code, 2);
    assert.match(r.err, /^zkplan: down --purge-data deletes the data volumes of ensemble zkl on the local Docker engine and standard input is not a terminal to confirm on: pass --yes to go ahead \(nothing was done\)$/m);
  });

  it('on a terminal asks, and a no stops it', async () => {
    const r = await runZkplan(['down', 'local.yml', '--purge-data'], { 'local.yml': LOCAL }, { terminal: { answers: ['no'] } });
    assert.equal(r.code, 1);
    assert.deepEqual(r.asked, ['down --purge-data deletes the data volumes of ensemble zkl on the local Docker engine; this cannot be undone. Go ahead? [y/N] ']);
  });
});
