import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonText } from '../../src/common/json.js';

describe('jsonText', () => {
  it('indents, ends in one newline, and prints a bigint zxid as hex', () => {
    assert.equal(jsonText({ zxid: 0x100000002n, ok: true }), '{\n  "zxid": "0x100000002",\n  "ok": true\n}\n');
  });
});

describe('jsonText without bigints', () => {
  it('prints what the replacer would (the fast path), nested bigints still as hex', () => {
    const value = { a: [1, 'x', null, { b: true }], c: undefined, d: new Date(0) };
    assert.equal(jsonText(value), `${JSON.stringify(value, (_k, v: unknown) => v, 2)}\n`);
    assert.equal(jsonText({ list: [{ zxid: 5n }] }), '{\n  "list": [\n    {\n      "zxid": "0x5"\n    }\n  ]\n}\n');
  });
});
