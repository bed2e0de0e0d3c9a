// Combinations that cannot work are refused before anything is rendered, with a message that
// says what is wrong and what to use instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/common/problems.js';
import { renderTarget, TARGETS, targetByName, targetsFor } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import type { NetworkMode } from '../../src/inventory/types.js';
import { caseInventory, clonePlan, planOf, planOfFile } from './golden/support.js';

const templates = loadTemplates();
const NO_OPTIONS = { set: {}, resolve: false };
const NETWORKS: NetworkMode[] = ['host', 'overlay', 'bridge', 'links', 'static-ip'];

function usageError(pattern: RegExp) {
  return (e: unknown) => e instanceof UsageError && pattern.test(e.message);
}

test('compose-links on a host-network ensemble: the message the brief asks for', () => {
  const e = planOfFile('inventories/article-host.yml');
  assert.throws(
    () => renderTarget('compose-links', e, NO_OPTIONS, templates),
    usageError(
      /^target compose-links needs an ensemble with network: links; ensemble zk has network: host \(links cannot be used with host networking\)$/,
    ),
  );
});

test('every target refuses every network it does not list, with a reason', () => {
  for (const network of NETWORKS) {
    const e = planOf(caseInventory({ profile: 'official', network }));
    for (const target of TARGETS) {
      if (target.networks.includes(network)) {
        assert.ok(renderTarget(target.name, e, NO_OPTIONS, templates).length > 0, `${target.name} on ${network}`);
        continue;
      }
      assert.throws(
        () => renderTarget(target.name, e, NO_OPTIONS, templates),
        usageError(new RegExp(`^target ${target.name} needs an ensemble with network: .*; ensemble zk has network: ${network} \\(.+\\)$`)),
        `${target.name} on ${network}`,
      );
    }
  }
});

test('targetsFor lists what an ensemble can use', () => {
  assert.deepEqual(targetsFor(planOfFile('inventories/article-host.yml')), ['aliyun', 'swarm', 'run-scripts']);
  assert.deepEqual(targetsFor(planOfFile('inventories/article-links.yml')), ['compose-links', 'run-scripts']);
  assert.throws(() => targetByName('kubernetes'), usageError(/^unknown target kubernetes; targets: aliyun, swarm, /));
});

test('a single-host network spread over several hosts is refused', () => {
  const e = clonePlan(planOfFile('inventories/article-bridge.yml'));
  e.servers[2]!.host = { name: 'docker2', address: '192.0.2.20', labels: {} };
  for (const target of ['compose-bridge', 'run-scripts'] as const) {
    assert.throws(
      () => renderTarget(target, e, NO_OPTIONS, templates),
      usageError(/^network bridge is local to one Docker host; ensemble zk is placed on docker1, docker2/),
    );
  }
});

test('--set: unknown variables are refused, with the closest known one', () => {
  const e = planOfFile('inventories/article-host.yml');
  assert.throws(
    () => renderTarget('aliyun', e, { set: { ZOOKEEPER_4: '192.0.2.14' }, resolve: false }, templates),
    usageError(/^--set ZOOKEEPER_4: ensemble zk has no variable ZOOKEEPER_4 \(did you mean ZOOKEEPER_1\?\); known: ZOOKEEPER_1, ZOOKEEPER_2, ZOOKEEPER_3$/),
  );
  assert.throws(
    () => renderTarget('run-scripts', e, { set: { HOME: '/root' }, resolve: false }, templates),
    usageError(/^--set HOME: ensemble zk has no variable HOME; known: /),
  );
});

test('--set: a value that is not an address is refused (it would need quoting in .env and compose)', () => {
  const e = planOfFile('inventories/article-host.yml');
  for (const value of ['$(reboot)', 'a b', '10.0.0.1;rm', '', '-x', '${ZOOKEEPER_2}']) {
    assert.throws(
      () => renderTarget('aliyun', e, { set: { ZOOKEEPER_1: value }, resolve: false }, templates),
      usageError(/^--set ZOOKEEPER_1=".*": not an IP address or DNS name$/),
      JSON.stringify(value),
    );
  }
});

test('--set: known variables go into .env and resolved renders', () => {
  const e = planOfFile('inventories/article-host.yml');
  const set = { ZOOKEEPER_2: '198.51.100.2' };
  const env = renderTarget('aliyun', e, { set, resolve: false }, templates).find((f) => f.path === '.env')!;
  assert.match(env.content, /^ZOOKEEPER_2=198\.51\.100\.2$/m);
  const stack = renderTarget('swarm', e, { set, resolve: true }, templates)[0]!;
  assert.match(stack.content, /server\.2=198\.51\.100\.2:2888:3888/);
  assert.doesNotMatch(stack.content, /\$\{ZOOKEEPER/);
});

test('a plan without the docker network its mode needs is an internal error, not a usage error', () => {
  const e = clonePlan(planOfFile('inventories/article-bridge.yml'));
  delete e.dockerNetwork;
  assert.throws(() => renderTarget('compose-bridge', e, NO_OPTIONS, templates), (err: unknown) => !(err instanceof UsageError) && /internal error/.test(String(err)));
});
