// Validates the raw YAML data against schemas/inventory.schema.json (the single source of
// truth) and turns Ajv's errors into positioned, human problems. The validator is compiled at
// build time (scripts/inventory-validator.ts), beside the schema it comes from, so no start
// compiles the schema.
import type { ErrorObject } from 'ajv';
import validate from '../../schemas/inventory.validate.cjs';
import { closest, type Problem } from '../common/problems.js';
import type { SourcePosition, YamlPath } from './types.js';

type Locate = (path: YamlPath, which?: 'key' | 'value') => SourcePosition;

/** A schema problem with the path of the value it is about, which tells the loader what part is broken. */
export interface SchemaProblem {
  problem: Problem;
  path: YamlPath;
}

export function schemaProblems(data: unknown, locate: Locate): SchemaProblem[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // oneOf reports every failed branch too; keep only the oneOf summary at that path.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const problems = new Map<string, SchemaProblem>();
  for (const error of errors) {
    if (error.keyword !== 'oneOf' && oneOfPaths.has(error.instancePath)) continue;
    // propertyNames repeats, less precisely, the pattern error reported at the key itself
    if (error.keyword === 'propertyNames') continue;
    const path = pointerToPath(error.instancePath);
    const { message, at, which } = describe(error, path);
    const position = locate(at, which);
    const problem: Problem = { ...position, message, severity: 'error' };
    problems.set(`${position.line}:${position.col}:${message}`, { problem, path });
  }
  return [...problems.values()];
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject, path: (string | number)[]): { message: string; at: (string | number)[]; which?: 'key' } {
  const where = fieldName(path);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const suggestion = closest(key, known);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : known.length ? ` (known keys: ${known.join(', ')})` : '';
      return { message: `unknown key "${key}"${where ? ` in ${where}` : ''}${hint}`, at: [...path, key], which: 'key' };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { message: `missing required field "${missing}"${where ? ` in ${where}` : ''}`, at: path };
    }
    case 'type': {
      const expected = (e.params as { type: string }).type;
      const got = secretField(path) ? `${typeName(e.data).split(' ')[0]} (its value is not shown)` : typeName(e.data);
      return { message: `${where || 'the inventory'} must be ${article(expected)} ${expected}, got ${got}`, at: path };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const suggestion = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      return {
        message: `unknown ${where} "${String(e.data)}"; expected one of ${allowed.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        at: path,
      };
    }
    case 'pattern':
    case 'oneOf': {
      const description = (e.parentSchema as { description?: string }).description;
      const isKey = e.keyword === 'pattern' && e.propertyName !== undefined;
      const value = isKey ? e.propertyName : e.data;
      const shown = !isKey && secretField(path) ? '(its value is not shown: name a file or an environment variable instead)' : JSON.stringify(value);
      return {
        message: `invalid ${isKey ? 'label key' : where} ${shown}${description ? `: ${description}` : ''}`,
        at: isKey ? [...path, e.propertyName!] : path,
        ...(isKey ? { which: 'key' as const } : {}),
      };
    }
    case 'propertyNames':
      return { message: `invalid key in ${where}`, at: path };
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'minLength':
      return { message: `${where} ${e.message} (got ${JSON.stringify(e.data)})`, at: path };
    default:
      return { message: `${where || 'inventory'} ${e.message ?? 'is invalid'}`, at: path };
  }
}

function fieldName(path: (string | number)[]): string {
  const names = path.filter((p): p is string => typeof p === 'string');
  const last = names[names.length - 1];
  if (last === undefined) return '';
  // a label's own name says more than "labels"
  if (names.length >= 2 && names[names.length - 2] === 'labels') return `label "${last}"`;
  return last === 'labels' ? 'labels' : last.replace(/_/g, ' ');
}

/** A field that holds a secret by reference: a value written there by mistake is never echoed. */
function secretField(path: readonly (string | number)[]): boolean {
  return path.some((p) => typeof p === 'string' && p.endsWith('_password'));
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
