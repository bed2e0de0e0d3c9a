// Tracing is off until the CLI switches it on; then each phase writes one line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enableTrace, traced, tracePhase } from '../../src/remote/trace.js';

describe('trace', () => {
  it('writes nothing before enableTrace, then one line per phase', async () => {
    const lines: string[] = [];
    const off = tracePhase('before');
    enableTrace((l) => void lines.push(l));
    off.end('ignored');
    tracePhase('session open').end('3 hosts');
    assert.equal(await traced('apply', async () => 42), 42);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^trace +\d+ ms {2}session open {11} +\d+ ms {2}3 hosts\n$/);
    assert.match(lines[1]!, /^trace +\d+ ms {2}apply {18} +\d+ ms\n$/);
  });
});
