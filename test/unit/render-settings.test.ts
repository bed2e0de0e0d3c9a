// Production settings as each image's contract and each target's format carry them (the golden
// files hold the bytes; these say what must be in them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { containerEnvironment, dataMounts, imageProfile, stateDirs } from '../../src/render/profiles/index.js';
import { renderTarget, TARGETS } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { addressingFor } from '../../src/render/server-line.js';
import { desiredContainers } from '../../src/rollout/desired.js';
import { heapsOverHostMemory, memTotalBytes } from '../../src/rollout/host-memory.js';
import { dockerRun } from '../../src/remote/commands/docker.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { memoryInfo } from '../../src/remote/commands/host.js';
import { PRODUCTION_SETTINGS } from './golden/cases.js';
import { caseInventory, dockerCalls, planOf } from './golden/support.js';

const templates = loadTemplates();
const PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

function settingsPlan(profile: 'aliyun' | 'official' | 'bitnami', network: 'host' | 'overlay' | 'bridge' | 'links' | 'static-ip' = 'host') {
  return planOf(caseInventory({ profile, network, settings: PRODUCTION_SETTINGS[profile] }));
}

function envOf(profile: 'aliyun' | 'official' | 'bitnami') {
  const e = settingsPlan(profile);
  return Object.fromEntries(containerEnvironment(e.servers[0]!, e, addressingFor(e, 'resolved', {})));
}

test('official: heap in JVMFLAGS, autopurge variables, metrics and zoo_cfg in ZOO_CFG_EXTRA, env last', () => {
  const e = settingsPlan('official');
  const env = containerEnvironment(e.servers[0]!, e, addressingFor(e, 'resolved', {}));
  const byName = Object.fromEntries(env);
  assert.equal(byName.JVMFLAGS, '-Xmx1536m -Xms1536m');
  assert.equal(byName.ZOO_AUTOPURGE_PURGEINTERVAL, '6');
  assert.equal(byName.ZOO_AUTOPURGE_SNAPRETAINCOUNT, '5');
  assert.equal(byName.ZOO_4LW_COMMANDS_WHITELIST, 'conf,envi,mntr,ruok,srvr,stat');
  assert.equal(byName.ZOO_CFG_EXTRA, `reconfigEnabled=true metricsProvider.className=${PROVIDER} metricsProvider.httpPort=7070 jute.maxbuffer=4194304 maxClientCnxns=0`);
  // the entrypoint writes standaloneEnabled from its own variable (reconfig: true)
  assert.equal(byName.ZOO_STANDALONE_ENABLED, 'false');
  assert.deepEqual(env.slice(-2), [['TZ', 'UTC'], ['GREETING', 'costs $5']]);
  // the image's default /datalog volume, now on data_log_dir's directory
  assert.deepEqual(dataMounts(imageProfile('official'), e.servers[0]!), [
    { source: '/var/lib/zkplan/zk/1/data', target: '/data' },
    { source: '/srv/zk-txlog/zk/1', target: '/datalog' },
  ]);
});

test('bitnami: ZOO_HEAP_SIZE, its own autopurge names, ZOO_DATA_LOG_DIR, Prometheus variables, ZOO_CFG_<KEY>', () => {
  const env = envOf('bitnami');
  assert.equal(env.ZOO_HEAP_SIZE, '1024');
  assert.equal(env.ZOO_AUTOPURGE_INTERVAL, '6');
  assert.equal(env.ZOO_AUTOPURGE_RETAIN_COUNT, '5');
  assert.equal(env.ZOO_DATA_LOG_DIR, '/bitnami/zookeeper-datalog');
  assert.equal(env.ZOO_ENABLE_PROMETHEUS_METRICS, 'yes');
  assert.equal(env.ZOO_PROMETHEUS_METRICS_PORT_NUMBER, '7000');
  assert.equal(env.ZOO_CFG_jute_maxbuffer, '4194304');
  assert.equal(env.ZOO_CFG_maxClientCnxns, '0');
  assert.equal(env.JVMFLAGS, undefined);
  const e = settingsPlan('bitnami');
  assert.deepEqual(dataMounts(imageProfile('bitnami'), e.servers[0]!), [
    { source: '/var/lib/zkplan/zk/1', target: '/bitnami/zookeeper' },
    { source: '/srv/zk-txlog/zk/1', target: '/bitnami/zookeeper-datalog' },
  ]);
});

test('aliyun: settings as ADDITIONAL_ZOOKEEPER lines, the heap in JVMFLAGS (read by its zkServer.sh)', () => {
  const env = envOf('aliyun');
  const lines = Object.entries(env).filter(([k]) => k.startsWith('ADDITIONAL_ZOOKEEPER_')).map(([, v]) => v);
  assert.deepEqual(lines.slice(3), [
    'dataLogDir=/tmp/zookeeper-datalog',
    'autopurge.snapRetainCount=5',
    'autopurge.purgeInterval=6',
    'jute.maxbuffer=4194304',
    'maxClientCnxns=0',
  ]);
  assert.equal(env.JVMFLAGS, '-Xmx1536m -Xms1536m'); // derived from memory 2g
});

test('without data_log_dir: official keeps data/ and datalog/ beside each other, the others one directory', () => {
  for (const [profile, expected] of [
    ['official', [{ source: '/var/lib/zkplan/zk/1/data', target: '/data' }, { source: '/var/lib/zkplan/zk/1/datalog', target: '/datalog' }]],
    ['bitnami', [{ source: '/var/lib/zkplan/zk/1', target: '/bitnami/zookeeper' }]],
    ['aliyun', [{ source: '/var/lib/zkplan/zk/1', target: '/tmp/zookeeper' }]],
  ] as const) {
    const e = planOf(caseInventory({ profile, network: 'host' }));
    assert.deepEqual(dataMounts(imageProfile(profile), e.servers[0]!), expected, profile);
    assert.equal(stateDirs(imageProfile(profile), e).length, profile === 'official' ? 2 : 1, profile);
    // the extra volume appears with data_log_dir
    const withLog = settingsPlan(profile);
    assert.deepEqual(stateDirs(imageProfile(profile), withLog).map((d) => d.name), ['data', 'datalog'], profile);
  }
});

test('memory limit in every target and profile: mem_limit, resources.limits.memory, --memory', () => {
  for (const profile of ['aliyun', 'official', 'bitnami'] as const) {
    for (const target of TARGETS) {
      const e = settingsPlan(profile, target.networks[0]!);
      const files = renderTarget(target.name, e, { set: {}, resolve: true }, templates);
      const main = files[0]!.content;
      const where = `${target.name}/${profile}`;
      if (target.name === 'run-scripts') {
        const runs = dockerCalls(main).filter((c) => c[0] === 'run');
        assert.ok(runs.length > 0, where);
        for (const run of runs) assert.equal(run[run.indexOf('--memory') + 1], String(2 * 1024 ** 3), where);
        continue;
      }
      const doc = parse(main) as Record<string, unknown>;
      const services = (target.name === 'aliyun' ? doc : doc.services) as Record<string, Record<string, unknown>>;
      for (const svc of Object.values(services)) {
        if (target.name === 'swarm') {
          assert.deepEqual((svc.deploy as { resources: unknown }).resources, { limits: { memory: '2g' } }, where);
          assert.ok((svc.volumes as string[]).some((v) => v.endsWith('-datalog:' + (profile === 'official' ? '/datalog' : imageProfile(profile).dataLog.target))), where);
        } else {
          assert.equal(svc.mem_limit, '2g', where);
          assert.ok((svc.volumes as string[]).some((v) => v.startsWith('/srv/zk-txlog/zk/')), where);
        }
      }
    }
  }
});

test('the container spec of every target carries the memory limit; docker run --memory in bytes (apply and run scripts)', () => {
  const e = settingsPlan('official');
  const [c] = desiredContainers(e, () => '/etc/zkplan');
  assert.equal(c!.spec.memoryBytes, 2 * 1024 ** 3);
  assert.deepEqual(dockerRun(c!.spec, { envFile: '/etc/zkplan/zk/zk1.env' }), [
    'docker', 'run', '--detach', '--name', 'zk1', '--network', 'host', '--restart', 'always',
    '--memory', '2147483648',
    '--volume', '/var/lib/zkplan/zk/1/data:/data',
    '--volume', '/srv/zk-txlog/zk/1:/datalog',
    '--env-file', '/etc/zkplan/zk/zk1.env',
    ...Object.entries(c!.spec.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    'zookeeper:3.9.4',
  ]);
  // `up --local` and Swarm: the same limit, the transaction logs in a volume of their own
  const bridge = settingsPlan('bitnami', 'bridge');
  for (const kind of ['local', 'swarm'] as const) {
    const [spec] = desiredServers(kind === 'local' ? bridge : settingsPlan('bitnami'), { kind }).map((d) => d.spec);
    assert.equal(spec!.memoryBytes, 2 * 1024 ** 3, kind);
    assert.deepEqual(spec!.mounts.map((m) => `${m.kind} ${m.source}:${m.target}`), ['volume zk1-data:/bitnami/zookeeper', 'volume zk1-datalog:/bitnami/zookeeper-datalog'], kind);
  }
  // the settings change the config hash, so apply replaces the containers
  const plain = desiredContainers(planOf(caseInventory({ profile: 'official', network: 'host' })), () => '/etc/zkplan')[0]!;
  assert.notEqual(plain.configHash, c!.configHash);
  assert.equal(plain.spec.memoryBytes, undefined);
  assert.equal(dockerRun(plain.spec).includes('--memory'), false);
});

test('host memory: MemTotal read with cat /proc/meminfo, heaps on one host summed over every ensemble', () => {
  assert.deepEqual(memoryInfo(), ['cat', '/proc/meminfo']);
  assert.equal(memTotalBytes('MemTotal:        4028248 kB\nMemFree:          100000 kB\n'), 4028248 * 1024);
  assert.equal(memTotalBytes('MemFree: 1 kB\n'), undefined);

  const twoOnOneHost = planOf(caseInventory({ profile: 'official', network: 'bridge', settings: { heap: '1g', memory: '2g' } }));
  const gib = 1024 ** 3;
  assert.equal(heapsOverHostMemory([twoOnOneHost], 'h1', 4 * gib), undefined);
  assert.equal(
    heapsOverHostMemory([twoOnOneHost], 'h1', 2.5 * gib),
    'the heaps on host h1 add up to 3g (zk1 1g, zk2 1g, zk3 1g) but the host has 2560m of memory: lower heap or memory, or place fewer servers there',
  );
  // a host that runs none of them, and servers on the image's default heap, are not counted
  assert.equal(heapsOverHostMemory([twoOnOneHost], 'h2', 1), undefined);
  assert.equal(heapsOverHostMemory([planOf(caseInventory({ profile: 'official', network: 'bridge' }))], 'h1', 1), undefined);
});
