// Compiles template sources with zkplan's two quoting helpers. Pure: no file access here
// (templates.ts reads the files), so tests can compile sources they hold in memory.
import Handlebars from 'handlebars';
import { shellQuote } from '../common/shell.js';
import { TEMPLATE_NAMES, type Template, type TemplateName, type Templates } from './types.js';
import { yamlScalar } from './yaml-scalar.js';

type Scalar = string | number | boolean;

function scalar(helper: string, value: unknown): Scalar {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Error(`template helper ${helper}: expected a string, number or boolean, got ${JSON.stringify(value)}`);
}

export function compileTemplates(sources: Readonly<Record<TemplateName, string>>): Templates {
  const hbs = Handlebars.create();
  // {{yaml x}}: one YAML scalar.
  hbs.registerHelper('yaml', (value: unknown) => yamlScalar(scalar('yaml', value)));
  // {{sh x}}: one shell word; {{sh list}}: each element one word, joined by spaces.
  hbs.registerHelper('sh', (value: unknown) =>
    Array.isArray(value) ? value.map((v) => shellQuote(String(scalar('sh', v)))).join(' ') : shellQuote(String(scalar('sh', value))),
  );
  const compiled = {} as Record<TemplateName, Template>;
  for (const name of TEMPLATE_NAMES) {
    // noEscape: output is YAML or shell, never HTML; quoting is explicit through the helpers.
    // strict: a view model missing a field is a bug, not an empty string.
    hbs.parse(sources[name]); // compile is lazy: report a broken template now, not at first render
    const fn = hbs.compile(sources[name], { noEscape: true, strict: true });
    compiled[name] = (view) => fn(view);
  }
  return compiled;
}
