import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonText } from '../../src/common/json.js';

describe('jsonText', () => {
  it('indents, ends in one newline, and prints a bigint zxid as hex', () => {
    assert.equal(jsonText({ zxid: 0x100000002n, ok: true }), '{\n  "zxid": "0x100000002",\n  "ok": true\n}\n');
  });
});
