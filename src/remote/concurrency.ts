// Hosts are handled in parallel, but never all at once: a 50-host inventory must not open 50
// SSH handshakes (and 50 agent signatures) in the same instant.

import pLimit from 'p-limit';
import { OperationalError } from '../common/problems.js';

/** Settles every item with at most `limit` calls of `fn` in flight; results keep input order. */
export async function mapLimitSettled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapLimit: limit must be a positive integer, got ${limit}`);
  const run = pLimit(limit);
  return Promise.allSettled(items.map((item, index) => run(() => fn(item, index))));
}

/**
 * Like Promise.all with a concurrency bound, except that it waits for every started call before
 * failing: a deploy must not report an error while other hosts are still half-way through a step.
 * One failure is rethrown as is; several become one OperationalError listing every message.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const settled = await mapLimitSettled(items, limit, fn);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new OperationalError(messages.join('\n'), { cause: new AggregateError(failures) });
  }
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}
