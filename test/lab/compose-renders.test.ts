// The real docker-compose (1.29.2 on Debian; test/lab/run.sh installs it) reads every golden
// render and a hostile image value as zkplan meant them. No engine is needed, only the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { NO_OPTIONS, renderedGoldenCases } from '../unit/golden/cases.js';
import { clonePlan, planOfFile } from '../unit/golden/support.js';

const run = promisify(execFile);
const ALL = renderedGoldenCases();

// About half a second per file: by default the article cases, the extras and one image profile
// (official: the values with spaces and semicolons); ZKPLAN_COMPOSE_ALL=1 checks every case.
const COMPOSE_ALL = process.env.ZKPLAN_COMPOSE_ALL === '1';

test('docker-compose config accepts the rendered compose files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'zkplan-render-'));
  const chosen = ALL.filter((c) => COMPOSE_ALL || !/--(aliyun|bitnami)$/.test(c.name));
  try {
    const jobs = chosen.flatMap((c) =>
      c.files
        .filter((f) => f.path.endsWith('.yml'))
        .map(async (f) => {
          const dir = join(root, c.name);
          mkdirSync(dir, { recursive: true });
          for (const g of c.files) writeFileSync(join(dir, g.path), g.content);
          // Runs in the file's directory so compose reads the .env rendered beside it.
          await run('docker-compose', ['-f', f.path, 'config', '-q'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }).catch(
            (e: { stderr?: string }) => assert.fail(`${c.name}/${f.path}: ${e.stderr ?? String(e)}`),
          );
        }),
    );
    await Promise.all(jobs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// `config` prints a reusable file, so it escapes `$` again: undo that, nothing more.
const composeValue = (s: string) => s.replace(/\$\$/g, '$');

test('docker-compose reads the hostile image back literally (no interpolation, no YAML surprise)', async () => {
  const value = `evil'; $(touch x) \${HOME} "q" \`id\``;
  const e = clonePlan(planOfFile('inventories/article-bridge.yml'));
  e.image = value;
  const dir = mkdtempSync(join(tmpdir(), 'zkplan-hostile-compose-'));
  try {
    writeFileSync(join(dir, 'docker-compose.yml'), renderTarget('compose-bridge', e, NO_OPTIONS, loadTemplates())[0]!.content);
    const { stdout } = await run('docker-compose', ['config'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    const seen = parse(stdout) as { services: Record<string, { image: string }> };
    for (const svc of Object.values(seen.services)) assert.equal(composeValue(svc.image), value);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
