// node-zookeeper-client only opens host:port TCP connections. A loopback listener that pipes each
// accepted socket into `dial` lets it reach servers through any transport, SSH tunnels included.

import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dial } from './dial.js';

export interface LocalProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:port`, for a ZooKeeper connect string. */
  readonly connectString: string;
  /** Last dial failure, so a client that only sees "connection lost" can be told why. */
  readonly lastError: Error | undefined;
  /** Stops listening and destroys every open leg. */
  close(): Promise<void>;
}

export async function localProxy(dial: Dial, address: string, port: number): Promise<LocalProxy> {
  const open = new Set<Duplex>();
  let lastError: Error | undefined;
  let closed = false;

  // No Nagle on the client's leg: replies written back to back reach it at once.
  const server = net.createServer({ noDelay: true }, (local) => {
    open.add(local);
    local.on('close', () => open.delete(local));
    local.on('error', () => local.destroy());
    // The accepted socket buffers (paused) until the remote leg exists.
    dial(address, port).then(
      (remote) => {
        if (closed || local.destroyed) {
          remote.destroy();
          return;
        }
        open.add(remote);
        remote.on('close', () => {
          open.delete(remote);
          local.destroy();
        });
        remote.on('error', (err: Error) => {
          lastError = err;
          remote.destroy();
        });
        local.on('close', () => remote.destroy());
        local.pipe(remote);
        remote.pipe(local);
      },
      (err: unknown) => {
        lastError = err instanceof Error ? err : new Error(String(err));
        local.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const listenPort = (server.address() as net.AddressInfo).port;

  return {
    host: '127.0.0.1',
    port: listenPort,
    connectString: `127.0.0.1:${listenPort}`,
    get lastError() {
      return lastError;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
