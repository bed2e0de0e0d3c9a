// The one module of src/render that touches the file system: reads templates/*.hbs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compileTemplates } from './handlebars.js';
import { TEMPLATE_NAMES, type TemplateName, type Templates } from './types.js';

/** templates/ at the package root, from src/render or dist/render alike. */
export const DEFAULT_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export const TEMPLATE_FILES: Readonly<Record<TemplateName, string>> = {
  aliyun: 'aliyun.yml.hbs',
  swarm: 'swarm.yml.hbs',
  compose: 'compose.yml.hbs',
  'run-script': 'run-script.sh.hbs',
  env: 'env.hbs',
};

export function loadTemplates(dir: string = DEFAULT_TEMPLATE_DIR): Templates {
  const sources = {} as Record<TemplateName, string>;
  for (const name of TEMPLATE_NAMES) sources[name] = readFileSync(join(dir, TEMPLATE_FILES[name]), 'utf8');
  return compileTemplates(sources);
}
