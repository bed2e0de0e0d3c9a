// Node label changes through a manager's Engine API: the spec written back (labels changed, the
// rest untouched), the request pair as data, and a real HTTP server on a unix socket standing in
// for a manager that refuses one stale version.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectNodeRequest, updateNodeRequest } from '../../src/remote/commands/engine.js';
import { engineServer } from './helpers/engine-server.js';
import { relabelledSpec, updateNodeLabelsThroughApi } from '../../src/drivers/swarm/node-labels.js';

describe('node labels through the Engine API', () => {
  it('the requests: inspect by id, update with the version read', () => {
    assert.deepEqual(inspectNodeRequest('n1 x'), { method: 'GET', path: '/nodes/n1%20x' });
    assert.deepEqual(updateNodeRequest('n1', 42, { Role: 'worker' }), { method: 'POST', path: '/nodes/n1/update?version=42', body: { Role: 'worker' } });
  });

  it('the spec keeps role, availability and other labels; removed keys go, added ones are set', () => {
    const spec = { Role: 'worker', Availability: 'active', Labels: { zone: 'z1', 'aliyun.node_index': '3', 'io.zkplan.pin.zk': 'aliyun.node_index' } };
    assert.deepEqual(relabelledSpec(spec, { 'aliyun.node_index': '1' }, ['io.zkplan.pin.zk']), { Role: 'worker', Availability: 'active', Labels: { zone: 'z1', 'aliyun.node_index': '1' } });
    assert.deepEqual(relabelledSpec({ Role: 'manager', Labels: null }, { a: '1' }, ['b']), { Role: 'manager', Labels: { a: '1' } });
  });

  let version = 7;
  let refuseOnce = true;
  const updates: { url: string; body: unknown }[] = [];
  const { client: engine } = engineServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/nodes/n1') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ID: 'n1', Version: { Index: version }, Spec: { Role: 'worker', Availability: 'active', Labels: { zone: 'z1' } } }));
      } else if (req.method === 'POST' && req.url?.startsWith('/nodes/n1/update')) {
        updates.push({ url: req.url, body: JSON.parse(body) });
        if (refuseOnce) {
          refuseOnce = false;
          version++;
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end('{"message":"rpc error: code = Unknown desc = update out of sequence"}');
          return;
        }
        res.writeHead(200);
        res.end();
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"message":"node nope not found"}');
      }
    });
  });

  it('a stale version is read again and written again; the labels end as asked', async () => {
    assert.deepEqual(await updateNodeLabelsThroughApi(engine, 'n1', { 'aliyun.node_index': '2' }, []), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(updates.map((u) => u.url), ['/nodes/n1/update?version=7', '/nodes/n1/update?version=8']);
    assert.deepEqual(updates[1]!.body, { Role: 'worker', Availability: 'active', Labels: { zone: 'z1', 'aliyun.node_index': '2' } });
  });

  it("a refusal is the manager's message, as a failed docker node update", async () => {
    const r = await updateNodeLabelsThroughApi(engine, 'nope', { a: '1' }, []);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /404 node nope not found/);
  });
});
