// The common shape of an inventory read without the yaml library's Document: block mappings and
// sequences, one-line flow collections, plain and quoted one-line scalars, comments. Anything
// else (anchors, tags, block scalars, multi-line scalars, escapes, tabs, duplicate keys, odd
// indentation, errors) returns undefined, and the loader parses with `yaml` as before, which
// also gives every problem its line and column. Where it answers, the value equals
// `yaml.parse(text)` (YAML 1.2 core schema): test/unit/plain-yaml.test.ts checks that on
// generated documents. Pure. Why: the Document is what makes a 10,000-host inventory slow to load
// (issue 9), and on the happy path no position is ever asked for.

interface Line {
  indent: number;
  text: string;
}

class NotPlain extends Error {}

const NOT_STRING_KEY = /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
// first characters a plain scalar here may not start with (YAML indicators, and some allowed ones kept out for safety)
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;

/** The document's value, or undefined when it is outside the subset read here. */
export function parsePlainYaml(text: string): { value: unknown } | undefined {
  if (text.includes('\t') || text.includes('\r') || text.startsWith('\uFEFF')) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const body = raw.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (raw.startsWith('---') || raw.startsWith('...') || raw.startsWith('%')) return undefined;
    lines.push({ indent: raw.length - body.length, text: body.trimEnd() });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const reader = new Reader(lines);
    const value = reader.block(0);
    if (reader.i !== lines.length) return undefined;
    return { value };
  } catch (e) {
    if (e instanceof NotPlain) return undefined;
    throw e;
  }
}

const isItem = (l: Line) => l.text === '-' || l.text.startsWith('- ');

/** `key: ` at the start of text (a plain or quoted key): the key and the length read, else undefined. */
function readKey(text: string, inFlow: boolean): { key: string; length: number } | undefined {
  let key: string;
  let end: number;
  if (text.startsWith("'") || text.startsWith('"')) {
    const q = quoted(text, 0);
    key = q.value;
    end = q.end;
  } else {
    const m = /^[A-Za-z_][A-Za-z0-9_./-]*/.exec(text);
    if (!m || NOT_STRING_KEY.test(m[0])) return undefined;
    key = m[0];
    end = m[0].length;
  }
  const colon = (inFlow ? /^: +/ : /^:(?: +|$)/).exec(text.slice(end));
  if (!colon || key === '__proto__') return undefined;
  return { key, length: end + colon[0].length };
}

const isEntry = (text: string) => {
  try {
    return readKey(text, false) !== undefined;
  } catch (e) {
    if (e instanceof NotPlain) return false;
    throw e;
  }
};

class Reader {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  private get line(): Line | undefined {
    return this.lines[this.i];
  }

  block(indent: number): unknown {
    const l = this.line!;
    if (isItem(l)) return this.seq(indent);
    if (!isEntry(l.text)) throw new NotPlain();
    return this.map(indent);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let l = this.line; l !== undefined && l.indent === indent && !isItem(l); l = this.line) {
      const entry = readKey(l.text, false);
      if (!entry || Object.hasOwn(out, entry.key)) throw new NotPlain();
      const key = entry.key;
      const rest = l.text.slice(entry.length);
      this.i++;
      if (rest === '' || rest.startsWith('#')) {
        const next = this.line;
        if (next !== undefined && next.indent > indent) out[key] = this.block(next.indent);
        else if (next !== undefined && next.indent === indent && isItem(next)) out[key] = this.seq(indent);
        else out[key] = null;
      } else {
        out[key] = inlineValue(rest);
        this.noDeeper(indent);
      }
    }
    this.noDeeper(indent);
    return out;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.line; l !== undefined && l.indent === indent && isItem(l); l = this.line) {
      if (l.text === '-') throw new NotPlain();
      const rest = l.text.slice(2);
      const body = rest.trimStart();
      const column = indent + 2 + (rest.length - body.length);
      if (isEntry(body)) {
        // `- key: value` opens a mapping whose keys sit at the column of this first one
        this.lines[this.i] = { indent: column, text: body };
        out.push(this.map(column));
      } else {
        if (isItem({ indent, text: body }) || body.startsWith('#')) throw new NotPlain();
        out.push(inlineValue(body));
        this.i++;
        this.noDeeper(indent);
      }
    }
    this.noDeeper(indent);
    return out;
  }

  /** A line deeper than the container at `indent` after its value would continue that value (or be an error): not read here. */
  private noDeeper(indent: number): void {
    const next = this.line;
    if (next !== undefined && next.indent > indent) throw new NotPlain();
  }
}

/** A value written on the line of its key or dash: a scalar or a one-line flow collection. */
function inlineValue(text: string): unknown {
  if (text.startsWith('[') || text.startsWith('{')) {
    const flow = new FlowReader(text);
    const value = flow.value();
    flow.end();
    return value;
  }
  if (text.startsWith("'") || text.startsWith('"')) {
    const { value, end } = quoted(text, 0);
    const after = text.slice(end);
    if (after !== '' && !/^ +#/.test(after)) throw new NotPlain();
    return value;
  }
  const hash = text.indexOf(' #');
  const plain = (hash >= 0 ? text.slice(0, hash) : text).trimEnd();
  return plainScalar(plain, false);
}

function quoted(text: string, start: number): { value: string; end: number } {
  const q = text[start]!;
  if (q === '"') {
    const close = text.indexOf('"', start + 1);
    if (close < 0) throw new NotPlain();
    const value = text.slice(start + 1, close);
    if (value.includes('\\')) throw new NotPlain();
    return { value, end: close + 1 };
  }
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) throw new NotPlain();
    value += text.slice(i, close);
    if (text[close + 1] === "'") {
      value += "'";
      i = close + 2;
    } else return { value, end: close + 1 };
  }
}

/** A plain scalar as the YAML 1.2 core schema resolves it (the `yaml` library's default). */
function plainScalar(s: string, inFlow: boolean): unknown {
  if (s === '' || (INDICATOR.test(s) && !/^-[^ ]/.test(s))) throw new NotPlain();
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) throw new NotPlain();
  if (inFlow && /[,[\]{}]/.test(s)) throw new NotPlain();
  if (/^(?:~|[Nn]ull|NULL)$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(s)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(s)) return false;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

/** `[a, b]` and `{ k: v }` on one line, nested, without trailing commas or empty entries. */
class FlowReader {
  private i = 0;
  constructor(private readonly text: string) {}

  value(): unknown {
    this.spaces();
    const c = this.text[this.i];
    if (c === '[') return this.seq();
    if (c === '{') return this.map();
    if (c === "'" || c === '"') {
      const { value, end } = quoted(this.text, this.i);
      this.i = end;
      return value;
    }
    const start = this.i;
    while (this.i < this.text.length && !',]}'.includes(this.text[this.i]!)) this.i++;
    return plainScalar(this.text.slice(start, this.i).trim(), true);
  }

  end(): void {
    this.spaces();
    const after = this.text.slice(this.i);
    if (after !== '' && !(after.startsWith('#') && this.text[this.i - 1] === ' ')) throw new NotPlain();
  }

  private seq(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.spaces();
    if (this.eat(']')) return out;
    for (;;) {
      out.push(this.value());
      this.spaces();
      if (this.eat(']')) return out;
      if (!this.eat(',')) throw new NotPlain();
    }
  }

  private map(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.spaces();
    if (this.eat('}')) return out;
    for (;;) {
      this.spaces();
      const entry = readKey(this.text.slice(this.i), true);
      if (!entry || Object.hasOwn(out, entry.key)) throw new NotPlain();
      this.i += entry.length;
      out[entry.key] = this.value();
      this.spaces();
      if (this.eat('}')) return out;
      if (!this.eat(',')) throw new NotPlain();
    }
  }

  private spaces(): void {
    while (this.text[this.i] === ' ') this.i++;
  }

  private eat(c: string): boolean {
    if (this.text[this.i] !== c) return false;
    this.i++;
    return true;
  }
}
