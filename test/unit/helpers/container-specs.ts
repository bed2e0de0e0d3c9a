// Two container specs the command builders' tests share: a host-target server and a bridge one.
import type { ContainerSpec } from '../../../src/rollout/spec.js';

export const host: ContainerSpec = {
  name: 'zk1',
  image: 'zookeeper:3.9.4',
  env: [
    ['ZOO_MY_ID', '1'],
    ['ZOO_SERVERS', 'server.1=10.0.0.1:2888:3888;2181 server.2=10.0.0.2:2888:3888;2181'],
  ],
  labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.server-id': '1', 'io.zkplan.config-hash': '0123456789abcdef' },
  mounts: [
    { kind: 'bind', source: '/var/lib/zk/1/data', target: '/data' },
    { kind: 'bind', source: '/var/lib/zk/1/datalog', target: '/datalog' },
  ],
  ports: [],
  network: { kind: 'host' },
  restart: 'always',
};

export const bridge: ContainerSpec = {
  ...host,
  hostname: 'zk1',
  network: { kind: 'named', name: 'zk-net' },
  ports: [{ address: '127.0.0.1', published: 2181, target: 2181 }],
  mounts: [{ kind: 'volume', source: 'zk1-data', target: '/data' }],
  env: [['ZOO_MY_ID', '1']],
  labels: { 'io.zkplan.ensemble': 'zk' },
};
