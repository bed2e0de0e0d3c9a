import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationalError } from '../../src/common/problems.js';
import { mapLimit } from '../../src/remote/concurrency.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps order and never exceeds the limit', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([50, 10, 30, 20, 5, 40], 2, async (ms, i) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(ms);
      active--;
      return i;
    });
    assert.deepEqual(out, [0, 1, 2, 3, 4, 5]);
    assert.equal(peak, 2);
  });

  it('waits for every started call, then rethrows a single failure as is', async () => {
    const finished: number[] = [];
    const err = new OperationalError('zk2: boom');
    await assert.rejects(
      mapLimit([1, 2, 3], 3, async (n) => {
        if (n === 2) throw err;
        await sleep(20);
        finished.push(n);
      }),
      (e) => e === err,
    );
    assert.deepEqual(finished.sort(), [1, 3]);
  });

  it('joins several failures into one OperationalError', async () => {
    await assert.rejects(
      mapLimit(['zk1', 'zk2', 'zk3'], 2, async (h) => {
        if (h !== 'zk2') throw new OperationalError(`${h}: down`);
      }),
      (e: unknown) => e instanceof OperationalError && e.message === 'zk1: down\nzk3: down',
    );
  });

  it('rejects a nonsensical limit', async () => {
    await assert.rejects(mapLimit([1], 0, async () => 1), RangeError);
  });
});
