// A real HTTP/1.1 server on a unix socket standing in for a Docker engine, and an EngineClient
// that reaches it; both gone after the suite that made them.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { EngineClient } from '../../../src/remote/engine-client.js';

export interface FakeEngine {
  socket: string;
  /** resolves once the server listens */
  listening: Promise<void>;
  client: EngineClient;
  /** a fresh stream to the server (what the client dials) */
  dial(): Promise<net.Socket>;
}

export function engineServer(handler: http.RequestListener): FakeEngine {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const server = http.createServer(handler);
  const listening = new Promise<void>((r) => server.listen(socket, r));
  const dial = async () => {
    await listening;
    return net.connect(socket);
  };
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { socket, listening, client: new EngineClient('h1', dial, `unix://${socket}`), dial };
}
