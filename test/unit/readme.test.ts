// The README's inventory reference is generated from the schema; keep them equal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { readmeWithReference } from '../../scripts/inventory-reference.js';

it('README inventory reference matches schemas/inventory.schema.json (run npm run docs)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, readmeWithReference(readme));
});

it('README names the main job and the two test commands', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const top = readme.slice(0, 2000);
  assert.match(top, /npm ci\nnpx zkplan plan inventories\/example\.yml/);
  assert.match(top, /npm test/);
  assert.match(top, /npm run test:lab/);
});
