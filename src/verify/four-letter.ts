// ZooKeeper four-letter words over any Duplex: write the word, read until the server closes.

import type { Duplex } from 'node:stream';
import { DialError, endpoint, type Dial } from './dial.js';

export * from './four-letter-parse.js';

export type FourLetterErrorKind =
  | 'unreachable' // dial failed
  | 'timeout'
  | 'empty' // closed without a byte: unknown word, or not a ZooKeeper server
  | 'oversize'
  | 'not-whitelisted'
  | 'not-serving';

export class FourLetterError extends Error {
  override name = 'FourLetterError';
  constructor(
    readonly kind: FourLetterErrorKind,
    readonly address: string,
    readonly port: number,
    readonly word: string,
    /** What went wrong, without word and endpoint, for messages that already name the server. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${word} ${endpoint(address, port)}: ${detail}`, options);
  }
}

/** 3.5.3+ answers only `srvr` unless `4lw.commands.whitelist` lists the word. */
export class NotWhitelistedError extends FourLetterError {
  override name = 'NotWhitelistedError';
  constructor(address: string, port: number, word: string) {
    super('not-whitelisted', address, port, word, `not in 4lw.commands.whitelist on the server (add "${word}")`);
  }
}

/** The process is up but has no quorum (electing, or cut off from a majority). */
export class NotServingError extends FourLetterError {
  override name = 'NotServingError';
  constructor(address: string, port: number, word: string) {
    super('not-serving', address, port, word, 'not currently serving requests (no quorum, or still electing)');
  }
}

const NOT_WHITELISTED = /is not executed because it is not in the whitelist/;
const NOT_SERVING = /This ZooKeeper instance is not currently serving requests/;
// mntr is ~25 KB on 3.8; this only guards against a peer that never stops talking.
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export async function fourLetterWord(
  dial: Dial,
  address: string,
  port: number,
  word: string,
  timeoutMs: number,
): Promise<string> {
  if (!/^[a-z]{4}$/.test(word)) throw new Error(`not a four-letter word: ${JSON.stringify(word)}`);
  const fail = (kind: FourLetterErrorKind, detail: string, cause?: unknown): FourLetterError =>
    new FourLetterError(kind, address, port, word, detail, cause === undefined ? undefined : { cause });

  let stream: Duplex | undefined;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail('timeout', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const dialed = dial(address, port).then(
      (s) => {
        // A dial that completes after we gave up must not leak its stream.
        if (finished) s.destroy();
        return (stream = s);
      },
      (err: unknown) => {
        throw fail('unreachable', err instanceof DialError ? err.detail : err instanceof Error ? err.message : String(err), err);
      },
    );
    const s = await Promise.race([dialed, timeout]);
    const text = await Promise.race([exchange(s, word, fail), timeout]);
    if (NOT_WHITELISTED.test(text)) throw new NotWhitelistedError(address, port, word);
    if (NOT_SERVING.test(text)) throw new NotServingError(address, port, word);
    return text;
  } finally {
    finished = true;
    clearTimeout(timer);
    stream?.destroy();
  }
}

function exchange(
  s: Duplex,
  word: string,
  fail: (kind: FourLetterErrorKind, detail: string, cause?: unknown) => FourLetterError,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') reject(fail('empty', 'connection closed without an answer (unknown word, or not ZooKeeper?)'));
      else resolve(text);
    };
    s.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        s.destroy();
        reject(fail('oversize', `answer larger than ${MAX_RESPONSE_BYTES} bytes`));
      }
    });
    s.once('end', done);
    // Some transports (and a server reset right after its answer) close without 'end'.
    s.once('close', done);
    s.once('error', (err: Error) => {
      if (size > 0) done();
      else reject(fail('unreachable', err.message, err));
    });
    // Do not half-close: the 3.5+ server runs the command on another thread and may drop the
    // answer if it reads EOF first.
    s.write(word);
  });
}
