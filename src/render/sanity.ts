// Every YAML file is read back before it leaves the renderer: a template bug must surface
// here as an internal error, not on an operator's cluster.
import { parse } from 'yaml';

export interface ExpectedServices {
  file: string;
  /** 'root': legacy v1, services at the document root; 'services': under `services:` */
  layout: 'root' | 'services';
  names: string[];
  images: string[];
}

function fail(file: string, why: string): never {
  throw new Error(`internal error: rendered ${file} is broken: ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The plain value a compose tool sees for a scalar we wrote (`$$` is a literal `$`). */
function unescapeDollars(s: string): string {
  return s.replace(/\$\$/g, '$');
}

export function checkRenderedYaml(content: string, expected: ExpectedServices): void {
  let doc: unknown;
  try {
    doc = parse(content, { version: '1.1', uniqueKeys: true });
  } catch (e) {
    fail(expected.file, `not valid YAML: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) fail(expected.file, 'the document is not a mapping');
  const services = expected.layout === 'root' ? doc : doc.services;
  if (!isRecord(services)) fail(expected.file, 'no services mapping');
  const names = Object.keys(services);
  if (names.length !== expected.names.length || names.some((n, i) => n !== expected.names[i])) {
    fail(expected.file, `services ${JSON.stringify(names)}, expected ${JSON.stringify(expected.names)}`);
  }
  names.forEach((name, i) => {
    const svc = services[name];
    if (!isRecord(svc)) fail(expected.file, `service ${name} is not a mapping`);
    if (typeof svc.image !== 'string' || unescapeDollars(svc.image) !== expected.images[i]) {
      fail(expected.file, `service ${name} has image ${JSON.stringify(svc.image)}, expected ${JSON.stringify(expected.images[i])}`);
    }
    const env = svc.environment;
    const empty = Array.isArray(env) ? env.length === 0 : !isRecord(env) || Object.keys(env).length === 0;
    if (empty) fail(expected.file, `service ${name} has no environment`);
  });
}
