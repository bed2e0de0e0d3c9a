// The live progress view as a pure function: frames from a sequence of events, and the choice
// between the live view and plain lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { lineProgress, progressFor, renderFrames, renderHostLines, reduceView, type ProgressEvent } from '../../src/cli/progress.js';

const T0 = 1_000_000;
const step = (at: number, host: string, s: string, status: 'start' | 'ok' | 'fail' | 'info' | 'skip', detail?: string): ProgressEvent => ({
  kind: 'step',
  at: T0 + at,
  host,
  step: s,
  status,
  ...(detail !== undefined ? { detail } : {}),
});
const note = (at: number, message: string): ProgressEvent => ({ kind: 'note', at: T0 + at, message });

const UP = /^\x1b\[(\d+)A\r\x1b\[J/;

/** What a terminal would show after writing these frames: lines, with cursor-up + clear applied. */
function screen(frames: string[]): string[] {
  const lines: string[] = [];
  for (const f of frames) {
    const m = UP.exec(f);
    if (m) lines.splice(lines.length - Number(m[1]));
    const body = m ? f.slice(m[0].length) : f;
    assert.ok(body.endsWith('\n'), 'a frame ends at the start of a fresh line');
    assert.doesNotMatch(body, /\x1b/, 'only the leading cursor movement is an escape sequence');
    lines.push(...body.slice(0, -1).split('\n'));
  }
  return lines;
}

describe('live progress view', () => {
  const events = [
    step(100, 'h1', 'preflight', 'start'),
    step(150, 'h2', 'preflight', 'start'),
    step(950, 'h2', 'preflight', 'ok', 'Docker 20.10'),
    step(1000, 'h1', 'preflight', 'ok', 'Docker 20.10'),
    note(1100, 'zk: 0 to create, 2 to change, 0 unchanged'),
    step(1200, 'h1', 'change', 'start', 'zk1'),
    step(3200, 'h1', 'change', 'ok', 'zk1'),
    step(3300, 'h2', 'change', 'start', 'zk2'),
    step(5300, 'h2', 'change', 'fail', 'zk2: exit 125'),
  ];
  const frames = renderFrames(events, T0, 100);

  it('draws one line per host, sorted by name, redrawn in place', () => {
    assert.equal(frames.length, events.length);
    assert.doesNotMatch(frames[0]!, UP, 'nothing to move over before the first frame');
    assert.equal(UP.exec(frames[1]!)?.[1], '1', 'the second frame moves over the one host line drawn');
    for (const f of frames.slice(2)) assert.equal(UP.exec(f)?.[1], '2');
    const s = screen(frames.slice(0, 4));
    assert.equal(s.length, 2);
    // a finished step says how long it took
    assert.match(s[0]!, /^ {2}h1 {4}preflight ok +0\.9s {2}Docker 20\.10$/);
    assert.match(s[1]!, /^ {2}h2 {4}preflight ok +0\.8s {2}Docker 20\.10$/);
  });

  it('shows a running step with how long it has run', () => {
    const s = screen(frames.slice(0, 1));
    assert.deepEqual(s, ['  h1    preflight ...     0.0s']);
    const state = events.slice(0, 6).reduce(reduceView, { started: T0, hosts: [] });
    assert.match(renderHostLines(state, T0 + 2700, 100)[0]!, /^ {2}h1 {4}change +\.\.\. +1\.5s {2}zk1$/);
  });

  it('keeps notes and failures above the view; the final state stays on screen', () => {
    const s = screen(frames);
    assert.deepEqual(s.slice(0, 2), ['  1.1s  zk: 0 to create, 2 to change, 0 unchanged', '  5.3s  h2: change failed: zk2: exit 125']);
    assert.equal(s.length, 4);
    assert.match(s[2]!, /^ {2}h1 {4}change +ok +2\.0s {2}zk1$/);
    assert.match(s[3]!, /^ {2}h2 {4}change +FAIL +2\.0s {2}zk2: exit 125$/);
  });

  it('a host that first appears later still sorts by name; a step without a start shows no clock', () => {
    const s = screen(renderFrames([step(0, 'h10', 'connect', 'ok', 'root@h10'), step(5, 'h2', 'connect', 'ok', 'root@h2')], T0, 100));
    assert.deepEqual(s, ['  h2    connect   ok            root@h2', '  h10   connect   ok            root@h10']);
  });

  it('never lets a line wrap (that would break the cursor arithmetic)', () => {
    const long = renderFrames([step(0, 'h1', 'preflight', 'ok', 'x'.repeat(300))], T0, 60);
    const [line] = screen(long);
    assert.equal(line!.length, 59);
    assert.ok(line!.endsWith('…'));
  });
});

describe('progress output choice', () => {
  const io = (errColumns: number | undefined, env: NodeJS.ProcessEnv = {}) => {
    const out = { err: '', out: '' };
    const value: Io = {
      out: (t) => void (out.out += t),
      err: (t) => void (out.err += t),
      readText: () => '',
      writeFile: () => {},
      ...(errColumns !== undefined ? { errColumns } : {}),
      env,
    };
    return { io: value, out };
  };

  it('plain lines, no escape sequences, when stderr is not a terminal', () => {
    const { io: i, out } = io(undefined);
    const p = progressFor(i);
    p.step('h1', 'preflight', 'start');
    p.step('h1', 'preflight', 'ok', 'Docker 20.10');
    p.note('done');
    p.close?.();
    assert.doesNotMatch(out.err, /\x1b/);
    assert.match(out.err, /^ +\d+\.\ds {2}h1 +preflight +ok +Docker 20\.10\n +\d+\.\ds {2}done\n$/);
    assert.equal(out.out, '');
  });

  it('the live view on a terminal (and plain lines when TERM=dumb), never on stdout', () => {
    const live = io(80);
    const p = progressFor(live.io);
    p.step('h1', 'preflight', 'start');
    p.step('h1', 'preflight', 'ok');
    p.close?.();
    p.step('h1', 'change', 'ok');
    assert.match(live.out.err, /\x1b\[1A\r\x1b\[J {2}h1 +preflight +ok/);
    assert.doesNotMatch(live.out.err, /change/, 'nothing is drawn after close');
    assert.equal(live.out.out, '');

    const dumb = io(80, { TERM: 'dumb' });
    progressFor(dumb.io).step('h1', 'preflight', 'ok');
    assert.doesNotMatch(dumb.out.err, /\x1b/);
  });

  it('quiet progress prints nothing', () => {
    const q = io(80);
    const p = progressFor(q.io, true);
    p.step('h1', 'connect', 'ok');
    p.note('x');
    assert.equal(q.out.err, '');
    const l = io(undefined);
    lineProgress(l.io, true).note('x');
    assert.equal(l.out.err, '');
  });
});
