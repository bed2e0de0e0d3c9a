import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSingleHost, MULTI_HOST_NETWORKS, NETWORK_MODES, SINGLE_HOST_NETWORKS } from '../../src/inventory/types.js';

describe('network kinds', () => {
  it('bridge, links and static-ip are single-host; host and overlay span hosts', () => {
    assert.deepEqual(NETWORK_MODES.filter(isSingleHost), ['bridge', 'links', 'static-ip']);
    assert.deepEqual(NETWORK_MODES.filter((n) => !isSingleHost(n)), ['host', 'overlay']);
    assert.deepEqual([...MULTI_HOST_NETWORKS, ...SINGLE_HOST_NETWORKS].sort(), [...NETWORK_MODES].sort());
  });
});
