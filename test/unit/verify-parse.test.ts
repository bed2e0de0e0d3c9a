// Parsers on answers captured from real ZooKeeper 3.8.0 servers (Debian jars, the loopback lab of
// test/lab/verify.test.ts: 3 voters + 1 observer on 127.0.0.1:12181-12184).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FourLetterParseError,
  parseConf,
  parseMntr,
  parseServerLine,
  parseSrvr,
  splitZxid,
} from '../../src/verify/four-letter.js';

// leader (id 3) after one client wrote a znode
const SRVR_LEADER = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 4',
  'Sent: 5',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x100000003',
  'Mode: leader',
  'Node count: 6',
  'Proposal sizes last/min/max: 48/48/90',
  '',
].join('\n');

const SRVR_FOLLOWER = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 5',
  'Sent: 6',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x100000003',
  'Mode: follower',
  'Node count: 6',
  '',
].join('\n');

const SRVR_OBSERVER = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 4',
  'Sent: 5',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x100000003',
  'Mode: observer',
  'Node count: 6',
  '',
].join('\n');

// follower right after the first election: no transaction applied yet, so zxid 0
const SRVR_FOLLOWER_FRESH = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 2',
  'Sent: 1',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x0',
  'Mode: follower',
  'Node count: 5',
  '',
].join('\n');

// server 2 just after leader 3 was killed: new epoch 2, counter 0
const SRVR_NEW_LEADER = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 1',
  'Sent: 0',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x200000000',
  'Mode: leader',
  'Node count: 6',
  'Proposal sizes last/min/max: -1/-1/-1',
  '',
].join('\n');

const STAT_LEADER = [
  'Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'Clients:',
  ' /127.0.0.1:60398[0](queued=0,recved=1,sent=0)',
  '',
  'Latency min/avg/max: 0/0.0/0',
  'Received: 7',
  'Sent: 10',
  'Connections: 1',
  'Outstanding: 0',
  'Zxid: 0x100000003',
  'Mode: leader',
  'Node count: 6',
  'Proposal sizes last/min/max: 48/48/90',
  '',
].join('\n');

// leader mntr: its first 40 plain lines and the election/follower-sync summaries (~500 other summary lines cut for size)
const MNTR_LEADER = [
  'zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'zk_server_state\tleader',
  'zk_peer_state\tleading - broadcast',
  'zk_ephemerals_count\t0',
  'zk_num_alive_connections\t1',
  'zk_outstanding_requests\t0',
  'zk_znode_count\t6',
  'zk_global_sessions\t0',
  'zk_non_mtls_remote_conn_count\t0',
  'zk_last_client_response_size\t-1',
  'zk_packets_sent\t6',
  'zk_packets_received\t5',
  'zk_synced_followers\t2',
  'zk_connection_drop_probability\t0.0',
  'zk_watch_count\t0',
  'zk_synced_non_voting_followers\t0',
  'zk_synced_observers\t1',
  'zk_auth_failed_count\t0',
  'zk_approximate_data_size\t292',
  'zk_open_file_descriptor_count\t49',
  'zk_last_proposal_size\t48',
  'zk_pending_syncs\t0',
  'zk_leader_uptime\t28440',
  'zk_local_sessions\t0',
  'zk_uptime\t28671',
  'zk_outstanding_tls_handshake\t0',
  'zk_learners\t3',
  'zk_non_mtls_local_conn_count\t0',
  'zk_quorum_size\t3',
  'zk_proposal_count\t3',
  'zk_watch_bytes\t0',
  'zk_outstanding_changes_removed\t2',
  'zk_throttled_ops\t0',
  'zk_stale_requests_dropped\t0',
  'zk_large_requests_rejected\t0',
  'zk_insecure_admin_count\t0',
  'zk_connection_rejected\t0',
  'zk_cnxn_closed_without_zk_server_running\t0',
  'zk_sessionless_connections_expired\t0',
  'zk_looking_count\t1',
  'zk_avg_follower_sync_time\t0.0',
  'zk_min_follower_sync_time\t0',
  'zk_max_follower_sync_time\t0',
  'zk_cnt_follower_sync_time\t0',
  'zk_sum_follower_sync_time\t0',
  'zk_avg_election_time\t608.0',
  'zk_min_election_time\t608',
  'zk_max_election_time\t608',
  'zk_cnt_election_time\t1',
  'zk_sum_election_time\t608',
].join('\n');

// follower mntr: first 12 lines and zk_quorum_size
const MNTR_FOLLOWER = [
  'zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'zk_server_state\tfollower',
  'zk_peer_state\tfollowing - broadcast',
  'zk_ephemerals_count\t0',
  'zk_num_alive_connections\t1',
  'zk_outstanding_requests\t0',
  'zk_znode_count\t6',
  'zk_global_sessions\t0',
  'zk_non_mtls_remote_conn_count\t0',
  'zk_last_client_response_size\t-1',
  'zk_packets_sent\t7',
  'zk_packets_received\t6',
  'zk_quorum_size\t3',
].join('\n');

// 3.8 conf: settings, "membership:", server lines, version (no final newline)
const CONF_FOLLOWER = [
  'clientPort=12181',
  'secureClientPort=-1',
  'dataDir=/tmp/zkfix/d1/version-2',
  'dataDirSize=67109581',
  'dataLogDir=/tmp/zkfix/d1/version-2',
  'dataLogSize=67109581',
  'tickTime=2000',
  'maxClientCnxns=60',
  'minSessionTimeout=4000',
  'maxSessionTimeout=40000',
  'clientPortListenBacklog=-1',
  'serverId=1',
  'initLimit=5',
  'syncLimit=2',
  'electionAlg=3',
  'electionPort=13888',
  'quorumPort=12888',
  'peerType=0',
  'membership: ',
  'server.1=127.0.0.1:12888:13888:participant;127.0.0.1:12181',
  'server.2=127.0.0.1:12889:13889:participant;127.0.0.1:12182',
  'server.3=127.0.0.1:12890:13890:participant;127.0.0.1:12183',
  'server.4=127.0.0.1:12891:13891:observer;127.0.0.1:12184',
  'version=0',
].join('\n');

const CONF_OBSERVER = [
  'clientPort=12184',
  'secureClientPort=-1',
  'dataDir=/tmp/zkfix/d4/version-2',
  'dataDirSize=67109581',
  'dataLogDir=/tmp/zkfix/d4/version-2',
  'dataLogSize=67109581',
  'tickTime=2000',
  'maxClientCnxns=60',
  'minSessionTimeout=4000',
  'maxSessionTimeout=40000',
  'clientPortListenBacklog=-1',
  'serverId=4',
  'initLimit=5',
  'syncLimit=2',
  'electionAlg=3',
  'electionPort=13891',
  'quorumPort=12891',
  'peerType=1',
  'membership: ',
  'server.1=127.0.0.1:12888:13888:participant;127.0.0.1:12181',
  'server.2=127.0.0.1:12889:13889:participant;127.0.0.1:12182',
  'server.3=127.0.0.1:12890:13890:participant;127.0.0.1:12183',
  'server.4=127.0.0.1:12891:13891:observer;127.0.0.1:12184',
  'version=0',
].join('\n');


describe('parseSrvr', () => {
  it('reads every field of a leader answer, splitting the zxid into epoch and counter', () => {
    assert.deepEqual(parseSrvr(SRVR_LEADER), {
      version: '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
      latency: { min: 0, avg: 0, max: 0 },
      received: 4,
      sent: 5,
      connections: 1,
      outstanding: 0,
      zxid: 0x100000003n,
      epoch: 1,
      counter: 3,
      mode: 'leader',
      nodeCount: 6,
    });
  });

  it('reads follower and observer modes', () => {
    assert.equal(parseSrvr(SRVR_FOLLOWER).mode, 'follower');
    assert.equal(parseSrvr(SRVR_OBSERVER).mode, 'observer');
  });

  it('shows why a fresh follower lags the leader epoch: nothing applied yet', () => {
    const fresh = parseSrvr(SRVR_FOLLOWER_FRESH);
    assert.equal(fresh.zxid, 0n);
    assert.equal(fresh.epoch, 0);
    const next = parseSrvr(SRVR_NEW_LEADER);
    assert.deepEqual([next.epoch, next.counter], [2, 0]);
  });

  it('accepts stat, whose client list has no "Key: value" shape', () => {
    const s = parseSrvr(STAT_LEADER);
    assert.equal(s.mode, 'leader');
    assert.equal(s.received, 7);
  });

  it('accepts standalone and a 3.4-style integer average latency', () => {
    const text = SRVR_FOLLOWER.replace('Mode: follower', 'Mode: standalone').replace('0/0.0/0', '1/2/30');
    const s = parseSrvr(text);
    assert.equal(s.mode, 'standalone');
    assert.deepEqual(s.latency, { min: 1, avg: 2, max: 30 });
  });

  it('splits zxids beyond 2^53 exactly', () => {
    assert.deepEqual(splitZxid(0xffffffff_fffffffen), { epoch: 0xffffffff, counter: 0xfffffffe });
  });

  it('rejects answers that are not srvr', () => {
    assert.throws(() => parseSrvr('imok'), FourLetterParseError);
    assert.throws(() => parseSrvr(SRVR_LEADER.replace('Mode: leader', 'Mode: looking')), /unknown mode "looking"/);
    assert.throws(() => parseSrvr(SRVR_LEADER.replace('0x100000003', '12')), /bad zxid/);
  });
});

describe('parseMntr', () => {
  it('gives the leader sync counters typed, and every line as a string', () => {
    const m = parseMntr(MNTR_LEADER);
    assert.equal(m.serverState, 'leader');
    assert.equal(m.syncedFollowers, 2);
    assert.equal(m.syncedNonVotingFollowers, 0);
    assert.equal(m.syncedObservers, 1);
    assert.equal(m.quorumSize, 3);
    assert.equal(m.values.get('zk_peer_state'), 'leading - broadcast');
    assert.equal(m.values.get('zk_version'), '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC');
    assert.equal(m.values.get('zk_avg_election_time'), '608.0');
  });

  it('leaves leader-only counters absent on a follower', () => {
    const m = parseMntr(MNTR_FOLLOWER);
    assert.equal(m.serverState, 'follower');
    assert.equal(m.quorumSize, 3);
    assert.equal('syncedFollowers' in m, false);
    assert.equal('syncedObservers' in m, false);
  });

  it('reads a 3.4 leader that has no observer counters', () => {
    const m = parseMntr('zk_version\t3.4.8--1, built on 02/06/2016 03:18 GMT\nzk_server_state\tleader\nzk_followers\t2\nzk_synced_followers\t2\n');
    assert.equal(m.syncedFollowers, 2);
    assert.equal(m.syncedObservers, undefined);
    assert.equal(m.quorumSize, undefined);
  });

  it('rejects text that is not mntr', () => {
    assert.throws(() => parseMntr('imok'), FourLetterParseError);
    assert.throws(() => parseMntr('zk_server_state\tleader\n'), /no zk_version/);
    assert.throws(() => parseMntr(MNTR_LEADER.replace('zk_synced_followers\t2', 'zk_synced_followers\ttwo')), /not a number/);
  });
});

describe('parseConf', () => {
  it('reads 3.5+ settings and the membership with roles and client addresses', () => {
    const c = parseConf(CONF_FOLLOWER);
    assert.equal(c.serverId, 1);
    assert.equal(c.clientPort, 12181);
    assert.equal(c.values.get('peerType'), '0');
    assert.equal(c.values.get('version'), '0');
    assert.deepEqual(c.servers, [
      { id: 1, address: '127.0.0.1', quorumPort: 12888, electionPort: 13888, role: 'participant', clientAddress: '127.0.0.1', clientPort: 12181 },
      { id: 2, address: '127.0.0.1', quorumPort: 12889, electionPort: 13889, role: 'participant', clientAddress: '127.0.0.1', clientPort: 12182 },
      { id: 3, address: '127.0.0.1', quorumPort: 12890, electionPort: 13890, role: 'participant', clientAddress: '127.0.0.1', clientPort: 12183 },
      { id: 4, address: '127.0.0.1', quorumPort: 12891, electionPort: 13891, role: 'observer', clientAddress: '127.0.0.1', clientPort: 12184 },
    ]);
  });

  it('sees the same membership from the observer', () => {
    const c = parseConf(CONF_OBSERVER);
    assert.equal(c.serverId, 4);
    assert.equal(c.values.get('peerType'), '1');
    assert.deepEqual(c.servers, parseConf(CONF_FOLLOWER).servers);
  });

  it('reads a 3.4 conf answer, which lists no servers', () => {
    // Shape of ZooKeeperServer/QuorumZooKeeperServer.dumpConf in 3.4.8 (not captured: no 3.4 jars here).
    const c = parseConf(
      'clientPort=2181\ndataDir=/tmp/zookeeper/version-2\ndataLogDir=/tmp/zookeeper/version-2\ntickTime=2000\n' +
        'maxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nserverId=2\ninitLimit=10\nsyncLimit=5\n' +
        'electionAlg=3\nelectionPort=3888\nquorumPort=2888\npeerType=0\n',
    );
    assert.equal(c.serverId, 2);
    assert.deepEqual(c.servers, []);
  });

  it('reads 3.4 zoo.cfg server lines, comments and all', () => {
    const c = parseConf('# zoo.cfg\ntickTime=2000\nserver.2=zookeeper2:2888:3888\nserver.1=0.0.0.0:2888:3888\nserver.3=zk3:2888:3888:observer\n');
    assert.deepEqual(c.servers, [
      { id: 1, address: '0.0.0.0', quorumPort: 2888, electionPort: 3888, role: 'participant' },
      { id: 2, address: 'zookeeper2', quorumPort: 2888, electionPort: 3888, role: 'participant' },
      { id: 3, address: 'zk3', quorumPort: 2888, electionPort: 3888, role: 'observer' },
    ]);
  });
});

describe('parseServerLine', () => {
  it('reads every documented form', () => {
    assert.deepEqual(parseServerLine(1, '10.0.0.1:2888:3888:participant;0.0.0.0:2181'), {
      id: 1, address: '10.0.0.1', quorumPort: 2888, electionPort: 3888, role: 'participant', clientAddress: '0.0.0.0', clientPort: 2181,
    });
    assert.deepEqual(parseServerLine(2, 'zk2:2888:3888;2181'), {
      id: 2, address: 'zk2', quorumPort: 2888, electionPort: 3888, role: 'participant', clientPort: 2181,
    });
    assert.deepEqual(parseServerLine(3, 'zk3:2888'), { id: 3, address: 'zk3', quorumPort: 2888, role: 'participant' });
    assert.deepEqual(parseServerLine(4, '[2001:db8::4]:2888:3888:observer;[::]:2181'), {
      id: 4, address: '2001:db8::4', quorumPort: 2888, electionPort: 3888, role: 'observer', clientAddress: '::', clientPort: 2181,
    });
  });

  it('names the line when it cannot read it', () => {
    assert.throws(() => parseServerLine(1, 'zk1:2888:3888;2181;x'), /server\.1=.*more than one ";"/);
    assert.throws(() => parseServerLine(1, 'zk1:2888:3888:witness'), /unknown role "witness"/);
    assert.throws(() => parseServerLine(1, 'zk1:99999:3888'), /bad port "99999"/);
    assert.throws(() => parseServerLine(1, 'a:1:2|b:1:2'), /multiAddress/);
    assert.throws(() => parseServerLine(1, '[::1:2888:3888'), /unterminated/);
  });
});
