// Minimal types for node-zookeeper-client 1.1.3 (it ships none): only what verify uses.
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
    mkdirp(path: string, callback: Callback<string>): void;
    getData(path: string, callback: (error: Exception | Error | null, data: Buffer | undefined, stat: Stat) => void): void;
    removeRecursive(path: string, callback: (error: Exception | Error | null) => void): void;
    on(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', listener: () => void): this;
    once(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', listener: () => void): this;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;

  const zookeeper: {
    createClient: typeof createClient;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
