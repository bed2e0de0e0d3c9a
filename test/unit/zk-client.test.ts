// The guard around node-zookeeper-client (test/lab/zk-client.ts, the lab's writer client): a reply the library cannot
// read drops that connection instead of throwing out of a socket handler (which would end the
// process), and a new connection never starts after an old connection's unread bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zookeeper from '../lab/zk-client.js';
import ConnectionManager from 'node-zookeeper-client/lib/ConnectionManager.js';

type Connection = {
  pendingBuffer: Buffer | null;
  socket: { destroy(): void };
  destroyed: number;
  state?: number;
  pendingQueue?: { shift(): unknown };
  onSocketData(buffer: Buffer): void;
  onSocketConnected(): void;
};

function connection(): Connection {
  const c = Object.create(ConnectionManager.prototype) as Connection;
  c.destroyed = 0;
  c.pendingBuffer = null;
  c.socket = { destroy: () => void c.destroyed++ };
  return c;
}

/** A framed reply: length, xid, zxid (8 bytes), err — with an err code no ZooKeeper has. */
function replyWithUnknownError(): Buffer {
  const b = Buffer.alloc(4 + 16);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(7, 4); // xid of an ordinary request
  b.writeBigInt64BE(1n, 8);
  b.writeInt32BE(807993344, 16); // "Unknown code: 807993344", as seen in the lab
  return b;
}

test('the client is the library itself', () => {
  assert.equal(typeof zookeeper.createClient, 'function');
});

test('a reply the library cannot read drops the connection instead of throwing', () => {
  const c = connection();
  // Connected (state 3 in the library), one request waiting for xid 7.
  c.state = 3;
  const queue = [{ request: { header: { xid: 7, type: 4 } }, callback: () => undefined }];
  c.pendingQueue = { shift: () => queue.shift() };
  assert.doesNotThrow(() => c.onSocketData(replyWithUnknownError()));
  assert.equal(c.destroyed, 1);
  assert.equal(c.pendingBuffer, null);
});

test('a new connection starts with no bytes left over from the last one', () => {
  const c = connection();
  c.pendingBuffer = Buffer.from([0, 0, 0, 9, 1]);
  // The original handler then sends the connect request; only the reset matters here.
  try {
    c.onSocketConnected();
  } catch {
    // the bare object has no socket/queue set up for the connect request itself
  }
  assert.equal(c.pendingBuffer, null);
});
