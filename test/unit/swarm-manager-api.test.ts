// The Swarm manager read through its Engine API (src/drivers/swarm/manager-api.ts): the answers
// become the results the docker CLI batch gives, so the one reader (observe.ts) sees the same
// Swarm, the same services and where their tasks run, whichever way they were read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration, imageThroughApi, readThroughApi, stackPsLines } from '../../src/drivers/swarm/manager-api.js';
import { readObservation } from '../../src/drivers/swarm/observe.js';
import { desiredStack } from '../../src/drivers/swarm/stack.js';
import type { EngineRequest } from '../../src/remote/commands/engine.js';
import type { EngineClient, EngineResponse } from '../../src/remote/engine-client.js';
import { planInventory } from '../../src/plan/plan.js';
import { loadTemplates } from '../../src/render/templates.js';
import { hosts, inventoryFrom } from './helpers/inventory.js';

const inventory = inventoryFrom({
  hosts: hosts(3).map((h, k) => (k === 0 ? { ...h, swarm: 'manager' } : h)),
  ensembles: [{ name: 'zk', servers: 3, image: 'zookeeper:3.9.4', placement: { pin_label: 'aliyun.node_index' } }],
});
const ensemble = planInventory(inventory).ensembles[0]!;
const stack = desiredStack(ensemble, loadTemplates());

const node = (i: number) => ({ ID: `node${i}`, Spec: { Role: i === 1 ? 'manager' : 'worker', Availability: 'active', Labels: { 'aliyun.node_index': String(i) } }, Description: { Hostname: `h${i}` }, Status: { State: 'ready', Addr: `192.0.2.${i + 10}` } });
const service = (i: number, hash: string) => ({ ID: `svc${i}`, Spec: { Name: `zk_zk${i}`, Labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': String(i), 'io.zkplan.config-hash': hash } } });

/** An engine answering by path (query left out), recording every request. */
function engine(answers: Record<string, [number, unknown]>): { client: EngineClient; asked: string[] } {
  const asked: string[] = [];
  const client = {
    send: async (req: EngineRequest): Promise<EngineResponse> => {
      asked.push(`${req.method} ${req.path}`);
      const [status, body] = answers[req.path.split('?')[0]!] ?? [404, { message: 'page not found' }];
      return { status, body: Buffer.from(JSON.stringify(body)) };
    },
  } as unknown as EngineClient;
  return { client, asked };
}

describe('the Swarm manager through its Engine API', () => {
  it('reads the Swarm, its nodes, the stack\'s services and running tasks in one go, as the CLI batch would', async () => {
    const { client, asked } = engine({
      '/info': [200, { ID: 'x', Swarm: { LocalNodeState: 'active', ControlAvailable: true } }],
      '/nodes': [200, [node(1), node(2), node(3)]],
      '/services': [200, [service(1, 'h1'), service(2, 'h2'), service(3, 'h3')]],
      '/tasks': [
        200,
        [
          { ServiceID: 'svc1', Slot: 1, NodeID: 'node1', DesiredState: 'running', Status: { State: 'running' } },
          { ServiceID: 'svc2', Slot: 1, NodeID: 'node2', DesiredState: 'running', Status: { State: 'starting' } },
          { ServiceID: 'svc3', Slot: 1, NodeID: 'node3', DesiredState: 'running', Status: { State: 'rejected', Err: 'No such image: zookeeper:3.9.4' } },
        ],
      ],
    });
    const results = await readThroughApi(client, 'zk');
    assert.deepEqual(asked.map((a) => a.split('?')[0]), ['GET /info', 'GET /nodes', 'GET /services', 'GET /tasks']);
    assert.match(asked[3]!, /desired-state/);
    const seen = readObservation(results, 'h1', inventory, ensemble, stack);
    assert.equal(seen.swarm.active && seen.swarm.isManager, true);
    assert.deepEqual([...seen.swarm.matched].map(([h, n]) => `${h}=${n.id}`), ['h1=node1', 'h2=node2', 'h3=node3']);
    const by = (id: number) => seen.stack!.byServer.get(id)!;
    assert.deepEqual([by(1).running, by(1).runningOn, by(1).configHash], [true, 'h1', 'h1']);
    assert.deepEqual([by(2).running, by(2).runningOn, by(2).taskState], [false, 'h2', 'Starting']);
    assert.deepEqual([by(3).running, by(3).taskError], [false, 'No such image: zookeeper:3.9.4']);
    assert.deepEqual(seen.stack!.stale, []);
  });

  it('an engine that is not a Swarm manager reads as such, not as a failure to read', async () => {
    const { client } = engine({
      '/info': [200, { Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } }],
      '/nodes': [503, { message: 'This node is not a swarm manager.' }],
      '/services': [503, { message: 'This node is not a swarm manager.' }],
      '/tasks': [503, { message: 'This node is not a swarm manager.' }],
    });
    const seen = readObservation(await readThroughApi(client, 'zk'), 'h1', inventory, ensemble, stack);
    assert.equal(seen.swarm.active, false);
    assert.equal(seen.stack, undefined);
  });

  it('a stack with no services and no tasks: nothing exists', async () => {
    const { client } = engine({ '/info': [200, { Swarm: { LocalNodeState: 'active', ControlAvailable: true } }], '/nodes': [200, [node(1), node(2), node(3)]], '/services': [200, []], '/tasks': [200, []] });
    const seen = readObservation(await readThroughApi(client, 'zk'), 'h1', inventory, ensemble, stack);
    assert.deepEqual([...seen.stack!.byServer.values()].map((s) => s.exists), [false, false, false]);
  });

  it('tasks as `docker stack ps --format {{json .}}` lines: <service>.<slot>, the node by ID, the state worded as the CLI does, its error', () => {
    const now = Date.parse('2026-11-29T21:00:00Z');
    assert.equal(
      stackPsLines([{ ServiceID: 'svc1', Slot: 1, NodeID: 'node1', DesiredState: 'running', Status: { State: 'running', Timestamp: '2026-11-29T20:55:00.123456789Z' } }], [{ ID: 'svc1', Spec: { Name: 'zk_zk1' } }], now),
      '{"Name":"zk_zk1.1","Node":"node1","CurrentState":"Running 4 minutes ago","DesiredState":"running","Error":""}\n',
    );
    assert.match(stackPsLines([{ ServiceID: 'x', Status: { State: 'rejected', Err: 'no such image' } }], [], now), /"Name":"x.1".*"CurrentState":"Rejected".*"Error":"no such image"/);
    assert.deepEqual([0, 1000, 59_000, 61_000, 30 * 60_000, 3600_000, 5 * 3600_000, 3 * 86400_000].map(humanDuration), ['Less than a second', '1 second', '59 seconds', 'About a minute', '30 minutes', 'About an hour', '5 hours', '3 days']);
  });

  it('the image check answers like `docker image inspect --format {{.Id}}`', async () => {
    const { client, asked } = engine({ '/images/zookeeper%3A3.9.4/json': [200, { Id: 'sha256:abc' }] });
    assert.deepEqual(await imageThroughApi(client, 'zookeeper:3.9.4'), { code: 0, stdout: 'sha256:abc\n', stderr: '' });
    assert.deepEqual(asked, ['GET /images/zookeeper%3A3.9.4/json']);
    const missing = await imageThroughApi(engine({}).client, 'zookeeper:3.9.4');
    assert.equal(missing.code, 1);
  });
});
