// zkplan's own ZooKeeper client: the packets byte for byte (src/verify/jute.ts), one session over
// a Dial (src/verify/zk-connection.ts, zk-session.ts) against an in-memory client port, and the
// znode proof built on it (src/verify/znode.ts): a reader's sync and read go out together.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSessionRequest, createRequest, deleteRequest, getChildrenRequest, pingRequest, syncRequest } from '../../src/verify/jute.js';
import { openSession, SessionError } from '../../src/verify/zk-session.js';
import { writeAndReadBack } from '../../src/verify/znode.js';
import { FakeZooKeeper } from './helpers/fake-zookeeper.js';

const hex = (b: Buffer) => b.toString('hex');
const str = (s: string) => (s.length).toString(16).padStart(8, '0') + hex(Buffer.from(s));

describe('client packets', () => {
  it('create: path, data, the world-open ACL (perms 31, world:anyone), flags 1 for ephemeral', () => {
    const body = '00000007' + '00000001' + str('/a') + str('xy') + '00000001' + '0000001f' + str('world') + str('anyone') + '00000001';
    assert.equal(hex(createRequest(7, '/a', Buffer.from('xy'), 'ephemeral')), (body.length / 2).toString(16).padStart(8, '0') + body);
    assert.ok(hex(createRequest(7, '/a', Buffer.from('xy'), 'persistent')).endsWith('00000000'));
  });

  it('delete of any version, getChildren and sync of a path, ping (xid -2, op 11), closeSession (op -11)', () => {
    assert.equal(hex(deleteRequest(2, '/a')), '00000012' + '00000002' + '00000002' + str('/a') + 'ffffffff');
    assert.equal(hex(getChildrenRequest(3, '/a')), '0000000f' + '00000003' + '00000008' + str('/a') + '00');
    assert.equal(hex(syncRequest(4, '/a')), '0000000e' + '00000004' + '00000009' + str('/a'));
    assert.equal(hex(pingRequest()), '00000008' + 'fffffffe' + '0000000b');
    assert.equal(hex(closeSessionRequest(5)), '00000008' + '00000005' + 'fffffff5');
  });
});

describe('openSession', () => {
  it('creates, reads, syncs and closes; closing removes its ephemeral znodes', async () => {
    const zk = new FakeZooKeeper();
    const s = await openSession(zk.dial, '10.0.0.1', 2181, 2000);
    await s.mkdirp('/zkplan/deep');
    await s.createEphemeral('/zkplan/e', Buffer.from('token'));
    await s.create('/zkplan/p', Buffer.from('kept'));
    assert.equal((await s.getData('/zkplan/e')).toString(), 'token');
    await s.sync('/zkplan/e');
    await s.close();
    assert.equal(zk.tree.has('/zkplan/e'), false);
    assert.equal(zk.tree.get('/zkplan/p')?.toString(), 'kept');
    assert.ok(zk.streams[0]!.destroyed);
    assert.deepEqual(zk.log, [
      '10.0.0.1 connect',
      '10.0.0.1 create /zkplan',
      '10.0.0.1 create /zkplan/deep',
      '10.0.0.1 create /zkplan/e ephemeral',
      '10.0.0.1 create /zkplan/p',
      '10.0.0.1 getData /zkplan/e',
      '10.0.0.1 sync /zkplan/e',
      '10.0.0.1 closeSession',
    ]);
  });

  it("names ZooKeeper's error and keeps its code; mkdirp passes over what exists; removeRecursive deletes children first", async () => {
    const zk = new FakeZooKeeper();
    const s = await openSession(zk.dial, '10.0.0.1', 2181, 2000);
    await s.mkdirp('/a/b/c');
    await s.mkdirp('/a/b');
    await assert.rejects(s.create('/a', Buffer.alloc(0)), (e: unknown) => e instanceof SessionError && e.code === -110 && e.message === '10.0.0.1:2181: create /a: NodeExists');
    await assert.rejects(s.getData('/none'), (e: unknown) => e instanceof SessionError && e.code === -101);
    await s.removeRecursive('/a');
    assert.deepEqual([...zk.tree.keys()], ['/']);
    await s.removeRecursive('/a'); // gone already: nothing to do
    assert.deepEqual(zk.log.filter((l) => l.includes('delete')), ['10.0.0.1 delete /a/b/c', '10.0.0.1 delete /a/b', '10.0.0.1 delete /a']);
    await s.close();
  });

  it('matches replies to requests in flight together', async () => {
    const zk = new FakeZooKeeper();
    zk.tree.set('/x', Buffer.from('1'));
    zk.tree.set('/y', Buffer.from('2'));
    const s = await openSession(zk.dial, '10.0.0.1', 2181, 2000);
    zk.holdReplies = true;
    const both = Promise.all([s.getData('/x'), s.getData('/y')]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(zk.log.slice(1), ['10.0.0.1 getData /x', '10.0.0.1 getData /y'], 'both sent before any answer');
    zk.release();
    assert.deepEqual((await both).map(String), ['1', '2']);
    await s.close();
  });

  it('pings an idle session at a third of its timeout', async () => {
    const zk = new FakeZooKeeper();
    zk.sessionTimeoutMs = 1500;
    const s = await openSession(zk.dial, '10.0.0.1', 2181, 2000);
    await new Promise((r) => setTimeout(r, 650));
    assert.ok(zk.log.includes('10.0.0.1 ping'), zk.log.join(', '));
    await s.close();
  });

  it('refuses with the reason: a server that does not serve, one that hangs up, one that never answers, a failed dial', async () => {
    const zk = new FakeZooKeeper();
    zk.notServing.add('10.0.0.1');
    zk.hangUp.add('10.0.0.2');
    zk.silent.add('10.0.0.3');
    await assert.rejects(openSession(zk.dial, '10.0.0.1', 2181, 500), { message: '10.0.0.1:2181: no ZooKeeper session: connect: no session (the server does not serve)' });
    await assert.rejects(openSession(zk.dial, '10.0.0.2', 2181, 500), { message: '10.0.0.2:2181: no ZooKeeper session: connect: connection closed by the server' });
    await assert.rejects(openSession(zk.dial, '10.0.0.3', 2181, 300), { message: '10.0.0.3:2181: no ZooKeeper session: connect: no answer within 300 ms' });
    await assert.rejects(
      openSession(async () => Promise.reject(new Error('10.0.0.4:2181: connection refused')), '10.0.0.4', 2181, 500),
      { message: '10.0.0.4:2181: no ZooKeeper session: connection refused' },
    );
    assert.ok(zk.streams.every((s) => s.destroyed), 'every refused connection is cut');
  });

  it('fails every request in flight when the connection drops, and later ones at once', async () => {
    const zk = new FakeZooKeeper();
    const s = await openSession(zk.dial, '10.0.0.1', 2181, 2000);
    zk.holdReplies = true;
    const pending = s.getData('/');
    await new Promise((r) => setImmediate(r));
    zk.streams[0]!.destroy();
    await assert.rejects(pending, /getData \/: connection closed by the server/);
    await assert.rejects(s.sync('/'), /sync \/: connection closed by the server/);
    await s.close();
  });
});

describe('writeAndReadBack', () => {
  const servers = [1, 2, 3].map((id) => ({ id, address: `10.0.0.${id}`, port: 2181 }));

  it('writes through the first server, then each reader sends its sync and its read together; closing leaves no znode', async () => {
    const zk = new FakeZooKeeper();
    zk.tree.set('/zkplan', Buffer.alloc(0));
    const check = await writeAndReadBack(servers, zk.dial, { timeoutMs: 2000 });
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal(check.writtenVia, 1);
    assert.deepEqual(check.readVia.map((r) => r.id), [2, 3]);
    for (const id of [2, 3]) {
      const asked = zk.log.filter((l) => l.startsWith(`10.0.0.${id} `) && !l.endsWith('closeSession')).map((l) => l.split(' ').slice(1).join(' '));
      assert.deepEqual(asked, ['connect', 'sync /zkplan/verify', 'getData /zkplan/verify'], `server ${id}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([...zk.tree.keys()], ['/', '/zkplan'], 'the ephemeral znode went with its session');
  });

  it('makes the parent the first time, and writes through the next server when one refuses', async () => {
    const zk = new FakeZooKeeper();
    zk.notServing.add('10.0.0.1');
    const check = await writeAndReadBack(servers, zk.dial, { timeoutMs: 2000 });
    assert.equal(check.writtenVia, 2);
    assert.match(check.writeErrors[0]!.error, /10\.0\.0\.1:2181: no ZooKeeper session/);
    assert.deepEqual(check.readVia, [
      { id: 1, ok: false, error: '10.0.0.1:2181: no ZooKeeper session: connect: no session (the server does not serve)' },
      { id: 3, ok: true },
    ]);
    assert.ok(zk.log.includes('10.0.0.2 create /zkplan'));
  });
});
