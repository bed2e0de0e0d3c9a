import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { shellCommand, shellQuote } from '../../src/common/shell.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'zkplan-shell-'));
const canary = path.join(scratch, 'pwned');
after(() => rmSync(scratch, { recursive: true, force: true }));

const HOSTILE = [
  `it's`,
  `"double" quotes`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `; touch ${canary}`,
  `&& touch ${canary}`,
  `| touch ${canary}`,
  `line one\nline two\n`,
  '*',
  '/*',
  '~',
  '~root',
  'with  two  spaces',
  ' leading and trailing ',
  '',
  'ünïcödé ✓ 日本語 🦓',
  '-n',
  '--help',
  '-e',
  '$HOME',
  '${IFS}',
  'a\\b\\\\c',
  `'`,
  `''`,
  `'\\''`,
  '\t\r\v\f',
  '#comment',
  'a=b',
  '!',
  '{}',
  '[a-z]',
  '%s',
  '<in >out 2>&1',
];

/** Runs a command line through a real /bin/sh and returns the NUL-separated words printf saw. */
function roundTrip(commandLine: string): string[] {
  const result = spawnSync('/bin/sh', ['-c', commandLine], { cwd: scratch, encoding: 'utf8' });
  assert.equal(result.status, 0, `sh failed: ${result.stderr}`);
  const parts = result.stdout.split('\0');
  assert.equal(parts.pop(), '', 'output ends with a NUL');
  return parts;
}

describe('shellQuote / shellCommand', () => {
  it('passes hostile values through /bin/sh unchanged', () => {
    const words = roundTrip(shellCommand(['printf', '%s\\0', ...HOSTILE]));
    assert.deepEqual(words, HOSTILE);
    assert.equal(existsSync(canary), false, 'no command was injected');
  });

  it('survives a second layer: a quoted command passed as one word to sh -c', () => {
    const inner = shellCommand(['printf', '%s\\0', ...HOSTILE]);
    const outer = shellCommand(['sh', '-c', inner]);
    assert.deepEqual(roundTrip(outer), HOSTILE);
    // and a third, which is what `ssh host sh -c ...` amounts to
    assert.deepEqual(roundTrip(shellCommand(['sh', '-c', outer])), HOSTILE);
    assert.equal(existsSync(canary), false);
  });

  it('round-trips arbitrary strings (property)', () => {
    const special = fc.constantFrom(...`'"\`$\\!*?[]{}()<>|&;#~= \t\n-%`.split(''));
    const value = fc.array(fc.oneof(special, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 10 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 8 }), (values) => {
        // A leading fixed word, because printf prints its format once even with no arguments.
        const [first, ...rest] = roundTrip(shellCommand(['printf', '%s\\0', 'start', ...values]));
        assert.equal(first, 'start');
        assert.deepEqual(rest, values);
      }),
      { numRuns: 100 },
    );
  });

  it('leaves plain words readable', () => {
    assert.equal(shellCommand(['docker', 'ps', '--all', '--format', '{{.Names}}']), `docker ps --all --format '{{.Names}}'`);
    assert.equal(shellQuote('/var/lib/zookeeper'), '/var/lib/zookeeper');
    assert.equal(shellQuote(''), `''`);
  });

  it('keeps the command word a command, not an assignment or a keyword', () => {
    const bin = path.join(scratch, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    for (const name of ['A=B', 'if', '!']) {
      const script = path.join(bin, name);
      spawnSync('/bin/sh', ['-c', `printf '#!/bin/sh\\necho ran\\n' > "$1" && chmod +x "$1"`, 'x', script]);
      const r = spawnSync('/bin/sh', ['-c', shellCommand([name])], { env: { PATH: bin }, encoding: 'utf8' });
      assert.equal(r.stdout, 'ran\n', `command ${name}: ${r.stderr}`);
    }
  });

  it('refuses values that no shell can carry', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/);
    assert.throws(() => shellCommand([]), /empty argv/);
  });
});
