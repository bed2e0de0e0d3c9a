// Minimal types for node-zookeeper-client 1.1.3 (it ships none): only what the lab tests use.
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
  }

  export interface Stat {
    version: number;
  }

  export class Exception extends Error {
    static readonly NO_NODE: number;
    static readonly NODE_EXISTS: number;
    static readonly CONNECTION_LOSS: number;
    getCode(): number;
    getName(): string;
  }

  export type Callback<T> = (error: Exception | Error | null, result: T) => void;

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    create(path: string, data: Buffer, callback: Callback<string>): void;
    create(path: string, data: Buffer, mode: number, callback: Callback<string>): void;
    getChildren(path: string, callback: Callback<string[]>): void;
    mkdirp(path: string, callback: Callback<string>): void;
    getData(path: string, callback: (error: Exception | Error | null, data: Buffer | undefined, stat: Stat) => void): void;
    remove(path: string, callback: (error: Exception | Error | null) => void): void;
    removeRecursive(path: string, callback: (error: Exception | Error | null) => void): void;
    on(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', listener: () => void): this;
    once(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', listener: () => void): this;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;

  export const CreateMode: { PERSISTENT: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };

  const zookeeper: {
    createClient: typeof createClient;
    Exception: typeof Exception;
    CreateMode: typeof CreateMode;
  };
  export default zookeeper;
}

// The connection class, for the guard in zk-client.ts only.
declare module 'node-zookeeper-client/lib/ConnectionManager.js' {
  const ConnectionManager: { prototype: object };
  export default ConnectionManager;
}
