// One YAML scalar, safe to paste after `key: ` or `- ` in block context. Compose 1.x reads
// files with PyYAML (YAML 1.1: yes/no/on/off, 1:20 sexagesimal), Docker Compose v2 and
// `docker stack deploy` with YAML 1.2 parsers: a plain scalar must be a string under both.
import { parse } from 'yaml';

// Block context only: flow indicators are ordinary there, `: ` and ` #` cannot occur without spaces.
const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./:=@${}+,-]*$/;

// Parsing is the slow part of rendering and the same few hundred values recur: remember them.
const readBack = new Map<string, boolean>();

function readsBackAsString(s: string): boolean {
  let ok = readBack.get(s);
  if (ok === undefined) {
    try {
      ok = parse(s, { version: '1.1' }) === s && parse(s, { version: '1.2' }) === s;
    } catch {
      ok = false;
    }
    readBack.set(s, ok);
  }
  return ok;
}

const ESCAPE = /["\\]|\p{Cc}|\p{Cs}|[\u2028\u2029\ufeff]/gu;

/** Double-quoted YAML: escapes quotes, backslashes, controls, line separators, lone surrogates. */
export function yamlQuoted(s: string): string {
  return `"${s.replace(ESCAPE, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;
}

export function yamlScalar(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`yaml: not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (PLAIN.test(value) && !value.endsWith(':') && readsBackAsString(value)) return value;
  return yamlQuoted(value);
}
