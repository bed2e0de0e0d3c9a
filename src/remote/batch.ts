// Several remote commands in ONE exec. Every exec starts the login shell of the remote user, and
// real hosts (like this project's machine, whose ~/.bashrc runs `pyenv init`) spend a good part of
// a second in their rc files: a phase costs one shell start per host, not one per check.
//
// The commands stay argv arrays until src/common/shell.ts turns each into one command line; the
// script around them is constant text plus a random token, and each command's exit code, stdout
// and stderr come back framed by byte counts, so no output can forge another check's result.

import { randomBytes } from 'node:crypto';
import { shellCommand } from '../common/shell.js';
import type { HeldRun, HostSession, RunOptions, RunResult } from './session.js';

export interface BatchCommand {
  name: string;
  argv: readonly string[];
}

export interface BatchOptions {
  /** Run first and alone; the others start only once it exited 0 (e.g. taking a lock). */
  gate?: BatchCommand;
  /**
   * Held mode: after the results, the command stays up (HostSession.runHeld), running further
   * commands sent on stdin, until it reads the line `release`: then it runs this, if the gate
   * succeeded. Releasing a lock this way costs no second shell start. Stdin ending without
   * `release` (zkplan killed, connection lost) does not run it: an interrupted run's lock stays.
   */
  onEnd?: readonly string[];
}

export interface BatchScript {
  argv: string[];
  /** Printed after the last result; a held batch then waits for the end of its stdin. */
  marker: string;
  token: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

export function batchScript(commands: readonly BatchCommand[], opts: BatchOptions = {}): BatchScript {
  const token = `zkplan-${randomBytes(12).toString('hex')}`;
  const all = [...(opts.gate ? [opts.gate] : []), ...commands];
  const names = new Set<string>();
  for (const c of all) {
    if (!NAME.test(c.name) || names.has(c.name)) throw new Error(`batch: bad or repeated command name '${c.name}'`);
    names.add(c.name);
  }
  // Files are numbered, not named: names never reach the script.
  const runOne = (i: number, argv: readonly string[]) =>
    `{ ${shellCommand(argv)} ; } >"$d/${i}.o" 2>"$d/${i}.e" </dev/null; echo $? >"$d/${i}.c"`;
  const emit = (i: number) =>
    `[ -f "$d/${i}.c" ] && printf '%s ${i} %s %s %s\\n' "$t" "$(cat "$d/${i}.c")" "$(wc -c <"$d/${i}.o")" "$(wc -c <"$d/${i}.e")" && cat "$d/${i}.o" "$d/${i}.e"`;
  const lines = [
    `t=${token}`,
    'd=$(mktemp -d 2>/dev/null || mktemp -d /tmp/zkplan.XXXXXXXX) || exit 125',
    'trap \'rm -rf -- "$d"\' EXIT',
    'gate=0',
  ];
  let offset = 0;
  if (opts.gate) {
    lines.push(runOne(0, opts.gate.argv), 'gate=$(cat "$d/0.c")');
    offset = 1;
  }
  // The checks are independent and mostly wait on dockerd: run them side by side.
  lines.push('if [ "$gate" = 0 ]; then');
  commands.forEach((c, i) => lines.push(`  ( ${runOne(i + offset, c.argv)} ) &`));
  lines.push('  wait', 'fi');
  all.forEach((_, i) => lines.push(emit(i)));
  lines.push(`printf '%s end\\n' "$t"`);
  if (opts.onEnd) {
    // Held: run more commands sent as `<byte count>\n<command line>` (see runInHeld), answering
    // each like the checks above, until `release` (run onEnd) or the end of stdin (do not).
    // `read` takes a pipe byte by byte and dd exactly count bytes, so nothing of the next
    // request is swallowed.
    lines.push(
      '[ "$gate" = 0 ] || exit 0',
      'while IFS= read -r n; do',
      `  case $n in release) ${shellCommand(opts.onEnd)} >/dev/null 2>&1; exit 0 ;; ""|*[!0-9]*) break ;; esac`,
      '  dd bs=1 count="$n" of="$d/r" 2>/dev/null',
      '  sh "$d/r" >"$d/0.o" 2>"$d/0.e" </dev/null; echo $? >"$d/0.c"',
      `  ${emit(0)}`,
      `  printf '%s end\\n' "$t"`,
      'done',
    );
  }
  lines.push('exit 0');
  return { argv: ['sh', '-c', lines.join('\n')], marker: `${token} end\n`, token };
}

/** Results by command name; a command that did not run (gate failed) is absent. */
export function parseBatch(script: BatchScript, commands: readonly BatchCommand[], stdout: string, opts: BatchOptions = {}): Map<string, RunResult> {
  const all = [...(opts.gate ? [opts.gate] : []), ...commands];
  const buf = Buffer.from(stdout, 'utf8');
  const out = new Map<string, RunResult>();
  const header = Buffer.from(`${script.token} `);
  let pos = buf.indexOf(header);
  while (pos >= 0) {
    const eol = buf.indexOf(0x0a, pos);
    if (eol < 0) break;
    const fields = buf.subarray(pos + header.length, eol).toString('utf8').trim().split(/\s+/);
    if (fields[0] === 'end') break;
    const [i, code, olen, elen] = fields.map(Number) as [number, number, number, number];
    const start = eol + 1;
    const c = all[i];
    if (c === undefined || ![code, olen, elen].every(Number.isInteger)) throw new Error(`batch: unreadable result header '${fields.join(' ')}'`);
    out.set(c.name, {
      code,
      stdout: buf.subarray(start, start + olen).toString('utf8'),
      stderr: buf.subarray(start + olen, start + olen + elen).toString('utf8'),
    });
    // Output that was not valid UTF-8 changes length in the round trip: find the next header anyway.
    const next = buf.indexOf(header, start + olen + elen);
    pos = next >= 0 ? next : buf.indexOf(header, start);
  }
  return out;
}

/** What a held batch (BatchOptions.onEnd) reads as the order to run onEnd and exit. */
export const HELD_RELEASE = 'release\n';

/** Runs one more command in a held batch (BatchOptions.onEnd): no new exec, no shell start. */
export async function runInHeld(held: HeldRun, script: BatchScript, argv: readonly string[]): Promise<RunResult> {
  const line = shellCommand(argv);
  const answer = await held.exchange(`${Buffer.byteLength(line)}\n${line}`);
  const result = parseBatch(script, [{ name: 'cmd', argv }], answer).get('cmd');
  if (!result) throw new Error(`no answer to: ${line.slice(0, 200)}`);
  return result;
}

/** Runs the commands in one exec; throws when the batch itself could not run. */
export async function runBatch(session: HostSession, commands: readonly BatchCommand[], opts: RunOptions = {}): Promise<Map<string, RunResult>> {
  if (commands.length === 0) return new Map();
  const script = batchScript(commands);
  const r = await session.run(script.argv, opts);
  if (!r.stdout.includes(script.marker)) {
    throw new Error(`${session.host.name}: batched commands did not run (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }
  return parseBatch(script, commands, r.stdout);
}

/** One command line running each argv in turn, stopping at the first failure. */
export function allOf(commands: readonly (readonly string[])[]): string[] {
  return ['sh', '-c', commands.map((argv) => shellCommand(argv)).join(' && ')];
}
