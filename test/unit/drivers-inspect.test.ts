// The one `docker container inspect` reading shared by the host and local drivers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContainerInspect } from '../../src/drivers/inspect.js';

const zk1 = {
  Name: '/zk1',
  State: { Running: false, Status: 'restarting', ExitCode: 3 },
  RestartCount: 4,
  Config: { Image: 'zookeeper:3.9.4', Env: ['ZOO_MY_ID=1'], Labels: { 'io.zkplan.config-hash': 'abc', 'io.zkplan.ports': '2181,2888,3888' } },
};
const other = { Name: '/zk2', State: { Running: true, Status: 'running', ExitCode: 0 }, Config: { Image: 'x', Env: null, Labels: null } };

describe('docker container inspect', () => {
  it('reads state, restarts, image, environment, hash and ports by name', () => {
    const found = parseContainerInspect({ code: 0, stdout: JSON.stringify([zk1, other]), stderr: '' }, 'h1');
    assert.deepEqual(found.get('zk1'), {
      observed: { exists: true, running: false, status: 'restarting', restartCount: 4, exitCode: 3, image: 'zookeeper:3.9.4', env: ['ZOO_MY_ID=1'], configHash: 'abc', ports: [2181, 2888, 3888], clientPort: 2181 },
      labels: zk1.Config.Labels,
    });
    assert.deepEqual(found.get('zk2'), { observed: { exists: true, running: true, status: 'running', restartCount: 0, exitCode: 0, image: 'x', env: [] }, labels: {} });
  });

  it('reads the client port a container was made with: the first of its ports label, or its one published port', () => {
    const published = (bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null>) => ({ ...other, Name: '/zk3', HostConfig: { PortBindings: bindings } });
    const read = (c: object) => parseContainerInspect({ code: 0, stdout: JSON.stringify([c]), stderr: '' }, 'h1').values().next().value!.observed.clientPort;
    assert.equal(read({ ...zk1, Config: { ...zk1.Config, Labels: { 'io.zkplan.ports': '2191,2898,3898,8090' } } }), 2191);
    assert.equal(read(published({ '2181/tcp': [{ HostIp: '127.0.0.1', HostPort: '2183' }] })), 2183);
    assert.equal(read(published({ '2181/tcp': [{ HostIp: '0.0.0.0', HostPort: '2183' }, { HostIp: '::', HostPort: '2183' }] })), 2183, 'one port on two address families');
    assert.equal(read(published({ '2181/tcp': [{ HostPort: '2183' }], '8080/tcp': [{ HostPort: '8080' }] })), undefined, 'not zkplan-made: which is the client port is unknown');
    assert.equal(read(other), undefined);
  });

  it('keeps the containers found when some names are missing (exit 1)', () => {
    const found = parseContainerInspect({ code: 1, stdout: JSON.stringify([other]), stderr: 'Error: No such container: zk1\n' }, 'h1');
    assert.deepEqual([...found.keys()], ['zk2']);
  });

  it('names the host when inspect itself fails', () => {
    assert.throws(() => parseContainerInspect({ code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon\n' }, 'h3'), /^OperationalError: h3: docker container inspect failed: Cannot connect to the Docker daemon$/);
  });
});
