// A host's Docker Engine API, spoken over a stream the SSH connection already carries: a
// forwarded channel to the engine's unix socket, or `docker system dial-stdio` where only the
// host's docker CLI knows where the engine is. One request per stream (Connection: close), so
// requests run side by side without pooling; node's own HTTP/1.1 client parses the answers.
// No login shell, no docker CLI, no quoting: a request is data (src/remote/commands/engine.ts).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { OperationalError } from '../common/problems.js';
import type { EngineRequest } from './commands/engine.js';

export interface EngineResponse {
  status: number;
  body: Buffer;
}

/** Opens a fresh stream to the engine's API. */
export type EngineDialer = () => Promise<Duplex>;

const REQUEST_TIMEOUT_MS = 60_000;

export class EngineClient {
  private readonly describe: () => string;

  constructor(
    /** host name, for messages */
    readonly label: string,
    private readonly dialer: EngineDialer,
    where: string | (() => string),
  ) {
    this.describe = typeof where === 'string' ? () => where : where;
  }

  /** where the engine was found (`unix:///run/docker.sock`, `dial-stdio`), for messages */
  get where(): string {
    return this.describe();
  }

  /**
   * A client for an address believed right (remembered from an earlier run), used without a
   * ping: when its first stream cannot be opened, `instead` finds the engine again and every
   * request from then on goes there.
   */
  static trusting(label: string, dialer: EngineDialer, where: string, instead: () => Promise<EngineClient>): EngineClient {
    let found: Promise<EngineClient> | undefined;
    let settled: EngineClient | undefined;
    const dial = async (): Promise<Duplex> => {
      if (found === undefined) {
        try {
          return await dialer();
        } catch {
          found ??= instead().then((c) => (settled = c));
        }
      }
      return (await found).dialer();
    };
    return new EngineClient(label, dial, () => settled?.where ?? where);
  }

  /** The answer, whatever its status; throws only when no answer came. */
  async send(req: EngineRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<EngineResponse> {
    let stream: Duplex;
    try {
      stream = await this.dialer();
    } catch (err) {
      throw new OperationalError(`${this.label}: cannot reach the Docker engine (${this.where}): ${(err as Error).message}`, { cause: err });
    }
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    return new Promise<EngineResponse>((resolve, reject) => {
      const fail = (why: string, cause?: unknown) => {
        stream.destroy();
        reject(new OperationalError(`${this.label}: Docker engine at ${this.where}: ${req.method} ${req.path.split('?')[0]}: ${why}`, { cause }));
      };
      const request = http.request({
        createConnection: () => stream as never,
        method: req.method,
        path: req.path,
        headers: {
          Host: 'docker',
          Connection: 'close',
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}),
        },
      });
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          clearTimeout(timer);
          stream.destroy();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          fail(err.message, err);
        });
      });
      request.on('error', (err) => {
        clearTimeout(timer);
        fail(err.message, err);
      });
      request.end(body);
    });
  }

  /** The answer's JSON when the status is 2xx (or one of `ok`); otherwise throws with the engine's message. */
  async json<T>(req: EngineRequest, ok: readonly number[] = []): Promise<T | undefined> {
    const r = await this.send(req);
    if ((r.status >= 200 && r.status < 300) || ok.includes(r.status)) return r.body.length > 0 ? (JSON.parse(r.body.toString('utf8')) as T) : undefined;
    throw this.failure(req, r);
  }

  /** A 2xx answer (or one of `ok`), nothing read from it. */
  async call(req: EngineRequest, ok: readonly number[] = []): Promise<number> {
    const r = await this.send(req);
    if ((r.status >= 200 && r.status < 300) || ok.includes(r.status)) return r.status;
    throw this.failure(req, r);
  }

  failure(req: EngineRequest, r: EngineResponse): OperationalError {
    return new OperationalError(`${this.label}: Docker engine ${req.method} ${req.path.split('?')[0]}: ${r.status} ${engineMessage(r.body)}`);
  }
}

/** The `message` of an engine error answer, else its text. */
export function engineMessage(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text;
}

/**
 * The body of a logs answer for a container without a TTY: frames of an 8-byte header (stream
 * type, 3 zero bytes, big-endian length) and that many bytes, stdout and stderr interleaved.
 */
export function demuxLogs(body: Buffer): string {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= body.length) {
    const type = body[pos]!;
    const size = body.readUInt32BE(pos + 4);
    if (type > 2 || body[pos + 1] !== 0 || body[pos + 2] !== 0 || body[pos + 3] !== 0) return body.toString('utf8'); // not framed: a TTY
    out.push(body.subarray(pos + 8, pos + 8 + size));
    pos += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}
