// Exact argv of every Swarm-mode and local-engine command builder: what runs on the manager, a
// node or the local engine is exactly this, word for word.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNetwork, createVolume, forceRemoveContainers, inspectNetwork, listContainers, listNetworks, listVolumes, removeNetwork, removeVolumes as removeLocalVolumes } from '../../src/remote/commands/docker-local.js';
import {
  deployStack,
  stackDeployDetaches,
  existingVolumes,
  inspectNodes,
  inspectStackServices,
  removeService,
  removeStack,
  runningServiceContainers,
  scaleService,
  serviceContainers,
  serviceLogsTail,
  serviceTasks,
  stackContainers,
  stackTasks,
  swarmInfo,
  updateNodeLabels,
} from '../../src/remote/commands/swarm.js';

describe('Swarm command builders', () => {
  it('read the Swarm, its nodes, the stack’s services and tasks', () => {
    assert.deepEqual(swarmInfo(), ['docker', 'info', '--format', '{{json .Swarm}}']);
    assert.deepEqual(inspectNodes(), ['sh', '-c', 'ids=$(docker node ls -q) || exit 1; exec docker node inspect $ids']);
    assert.deepEqual(inspectStackServices('zk'), [
      'sh',
      '-c',
      'ids=$(docker service ls -q --filter "label=com.docker.stack.namespace=$1") || exit 1; if [ -z "$ids" ]; then echo "[]"; else exec docker service inspect $ids; fi',
      'zkplan-stack-services',
      'zk',
    ]);
    assert.deepEqual(stackTasks('zk'), [
      'sh',
      '-c',
      'out=$(docker stack ps --no-trunc --filter desired-state=running --format "{{json .}}" "$1" 2>&1); rc=$?; ' +
        'if [ $rc -ne 0 ]; then case "$out" in *"nothing found in stack"*) exit 0;; esac; printf "%s\\n" "$out" >&2; exit $rc; fi; printf "%s\\n" "$out"',
      'zkplan-stack-ps',
      'zk',
    ]);
    assert.deepEqual(serviceTasks('zk_zk1'), ['docker', 'service', 'ps', '--no-trunc', '--format', '{{.Node}} {{.CurrentState}} {{.Error}}', 'zk_zk1']);
    assert.deepEqual(serviceLogsTail('zk_zk1', 10), ['docker', 'service', 'logs', '--tail', '10', 'zk_zk1']);
  });

  it('label nodes, deploy a stack file, scale and remove services', () => {
    assert.deepEqual(updateNodeLabels('n1', { 'aliyun.node_index': '3', 'io.zkplan.pin.zk': 'aliyun.node_index' }, ['old']), [
      'docker',
      'node',
      'update',
      '--label-add',
      'aliyun.node_index=3',
      '--label-add',
      'io.zkplan.pin.zk=aliyun.node_index',
      '--label-rm',
      'old',
      'n1',
    ]);
    const deploy = deployStack('/var/lib/zkplan/zk/swarm/step-zk1.yml', 'zk', false);
    assert.deepEqual(deploy, [
      'sh',
      '-c',
      'detach=\nif docker stack deploy --help 2>/dev/null | grep -q -- --detach; then detach=--detach=true; fi\nexec docker stack deploy $detach --resolve-image never --compose-file "$1" "$2"',
      'zkplan-stack-deploy',
      '/var/lib/zkplan/zk/swarm/step-zk1.yml',
      'zk',
    ]);
    assert.match(deployStack('f.yml', 'zk', true)[2]!, / --resolve-image never --prune --compose-file /);
    // the CLI's --detach asked once (stackDeployDetaches): no script, no second CLI start
    assert.deepEqual(deployStack('f.yml', 'zk', false, true), ['docker', 'stack', 'deploy', '--detach=true', '--resolve-image', 'never', '--compose-file', 'f.yml', 'zk']);
    assert.deepEqual(deployStack('f.yml', 'zk', true, false), ['docker', 'stack', 'deploy', '--resolve-image', 'never', '--prune', '--compose-file', 'f.yml', 'zk']);
    assert.deepEqual(stackDeployDetaches(), ['sh', '-c', 'docker stack deploy --help 2>/dev/null | grep -q -- --detach']);
    assert.deepEqual(scaleService('zk_zk3', 0), ['docker', 'service', 'scale', '--detach', 'zk_zk3=0']);
    assert.deepEqual(removeService('zk_zk3'), ['docker', 'service', 'rm', 'zk_zk3']);
    assert.deepEqual(removeStack('zk'), ['docker', 'stack', 'rm', 'zk']);
  });

  it('find a service’s containers and volumes on a node', () => {
    assert.deepEqual(stackContainers('zk'), ['docker', 'ps', '--all', '--quiet', '--filter', 'label=com.docker.stack.namespace=zk']);
    assert.deepEqual(serviceContainers('zk_zk1'), ['docker', 'ps', '--all', '--quiet', '--filter', 'label=com.docker.swarm.service.name=zk_zk1']);
    assert.deepEqual(runningServiceContainers('zk_zk1'), ['docker', 'ps', '--quiet', '--filter', 'status=running', '--filter', 'label=com.docker.swarm.service.name=zk_zk1']);
    assert.deepEqual(runningServiceContainers('zk_zk1', { key: 'io.zkplan.config-hash', value: 'abc' }), [
      'docker',
      'ps',
      '--quiet',
      '--filter',
      'status=running',
      '--filter',
      'label=com.docker.swarm.service.name=zk_zk1',
      '--filter',
      'label=io.zkplan.config-hash=abc',
    ]);
    assert.deepEqual(existingVolumes(['zk_zk1-data', 'zk_zk1-datalog']), ['sh', '-c', 'for v; do docker volume inspect --format "{{.Name}}" "$v" 2>/dev/null; done; true', 'zkplan-volumes', 'zk_zk1-data', 'zk_zk1-datalog']);
  });
});

describe('local engine command builders', () => {
  const owner = { 'io.zkplan.ensemble': 'dev', 'io.zkplan.local': 'true' };

  it('make and find the network, volumes and containers by zkplan’s labels', () => {
    assert.deepEqual(inspectNetwork('zk-net'), ['docker', 'network', 'inspect', '--', 'zk-net']);
    assert.deepEqual(createNetwork({ name: 'zk-net', subnet: '172.19.0.0/16', gateway: '172.19.0.1', ipRange: '172.19.0.0/17', labels: owner }), [
      'docker',
      'network',
      'create',
      '--driver',
      'bridge',
      '--subnet',
      '172.19.0.0/16',
      '--gateway',
      '172.19.0.1',
      '--ip-range',
      '172.19.0.0/17',
      '--label',
      'io.zkplan.ensemble=dev',
      '--label',
      'io.zkplan.local=true',
      '--',
      'zk-net',
    ]);
    assert.deepEqual(createNetwork({ name: 'zk-net', labels: {} }), ['docker', 'network', 'create', '--driver', 'bridge', '--', 'zk-net']);
    assert.deepEqual(createVolume('zk1-data', owner), ['docker', 'volume', 'create', '--label', 'io.zkplan.ensemble=dev', '--label', 'io.zkplan.local=true', '--', 'zk1-data']);
    const filters = ['--filter', 'label=io.zkplan.ensemble=dev', '--filter', 'label=io.zkplan.local=true'];
    assert.deepEqual(listNetworks(owner), ['docker', 'network', 'ls', ...filters, '--format', '{{.Name}}']);
    assert.deepEqual(listVolumes(owner), ['docker', 'volume', 'ls', ...filters, '--format', '{{.Name}}']);
    assert.deepEqual(listContainers(owner), ['docker', 'ps', '--all', ...filters, '--format', '{{.Names}}']);
  });

  it('remove containers (with their anonymous volumes), the network and named volumes', () => {
    assert.deepEqual(forceRemoveContainers(['zk1']), ['docker', 'rm', '--force', '--volumes', '--', 'zk1']);
    assert.deepEqual(removeNetwork('zk-net'), ['docker', 'network', 'rm', '--', 'zk-net']);
    assert.deepEqual(removeLocalVolumes(['zk1-data', 'zk1-datalog']), ['docker', 'volume', 'rm', '--', 'zk1-data', 'zk1-datalog']);
  });
});
