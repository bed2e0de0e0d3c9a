// node-zookeeper-client, the lab tests' writer (a client of the whole ensemble that fails over
// between servers, as an application's does), made safe to run inside the test process. The library throws from
// its socket 'data' handler when it misreads a reply ("Unknown code: 807993344",
// alexguan/node-zookeeper-client#23, #70): an uncaught exception that ends the whole process,
// so a test would die mid-change. Seen under heavy load in the lab.
// A likely cause: the library keeps the unread tail of a closed connection (pendingBuffer) and
// reads the next connection's first reply after it. So each new connection starts with an empty
// buffer, and a reply that still cannot be read drops that connection instead of the process;
// the library reconnects, and every call the writer makes has its own deadline. Import the client
// from this module, never directly.
import zookeeper from 'node-zookeeper-client';
import ConnectionManager from 'node-zookeeper-client/lib/ConnectionManager.js';

interface Connection {
  socket?: { destroy(): void };
  pendingBuffer: Buffer | null;
}

interface ConnectionManagerPrototype {
  onSocketData(this: Connection, buffer: Buffer): void;
  onSocketConnected(this: Connection): void;
  zkplanGuarded?: true;
}

const manager = ConnectionManager.prototype as ConnectionManagerPrototype;
if (!manager.zkplanGuarded) {
  const { onSocketData, onSocketConnected } = manager;
  manager.onSocketConnected = function freshBufferOnConnect() {
    this.pendingBuffer = null;
    onSocketConnected.call(this);
  };
  manager.onSocketData = function guardedOnSocketData(buffer) {
    try {
      onSocketData.call(this, buffer);
    } catch {
      this.pendingBuffer = null;
      this.socket?.destroy();
    }
  };
  manager.zkplanGuarded = true;
}

export default zookeeper;
export type * from 'node-zookeeper-client';
