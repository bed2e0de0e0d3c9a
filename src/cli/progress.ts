// Progress of apply/status/destroy, on stderr so stdout stays for the result (and --json).
// On a terminal: a live view, one line per host showing its current step, redrawn in place;
// notes and failures scroll above it and the final state stays on screen. Otherwise: one
// plain line per host per step.
import type { Progress, StepStatus } from '../engine/driver.js';

export type { Progress, StepStatus };

/** Where progress goes: stderr, with its width when it is a terminal (the CLI's Io is one). */
export interface ProgressOutput {
  err(text: string): void;
  /** columns of the terminal; undefined when stderr is not one */
  readonly errColumns?: number;
  readonly env: { readonly TERM?: string | undefined };
}

export type ProgressEvent =
  | { kind: 'step'; at: number; host: string; step: string; status: StepStatus; detail?: string }
  | { kind: 'note'; at: number; message: string };

export interface HostLine {
  host: string;
  step: string;
  status: StepStatus;
  detail: string;
  /** when the step started, if it said so */
  startedAt?: number;
  /** when it finished (any status but start) */
  endedAt?: number;
}

export interface ViewState {
  started: number;
  hosts: HostLine[];
}

/** The live view's state after one more event (hosts sorted by name, h2 before h10). */
export function reduceView(state: ViewState, e: ProgressEvent): ViewState {
  if (e.kind === 'note') return state;
  const prev = state.hosts.find((h) => h.host === e.host);
  const startedAt = e.status === 'start' ? e.at : prev?.step === e.step && prev.status === 'start' ? prev.startedAt : undefined;
  const line: HostLine = {
    host: e.host,
    step: e.step,
    status: e.status,
    // a finished step without words of its own keeps what it said when it started
    detail: e.detail ?? (startedAt !== undefined && prev?.step === e.step ? prev.detail : ''),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(e.status !== 'start' ? { endedAt: e.at } : {}),
  };
  const hosts = [...state.hosts.filter((h) => h.host !== e.host), line].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
  return { ...state, hosts };
}

const STATUS_WORD: Record<StepStatus, string> = { start: '...', ok: 'ok', fail: 'FAIL', skip: 'skip', info: '' };

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** The host lines of the live view at time `now`, each cut to `width` columns. */
export function renderHostLines(state: ViewState, now: number, width: number): string[] {
  const hostWidth = Math.max(4, ...state.hosts.map((h) => h.host.length));
  const stepWidth = Math.max(9, ...state.hosts.map((h) => h.step.length));
  return state.hosts.map((h) => {
    // How long the step has been running, or took.
    const clock = h.startedAt === undefined ? '' : seconds((h.endedAt ?? now) - h.startedAt);
    const text = `  ${h.host.padEnd(hostWidth)}  ${h.step.padEnd(stepWidth)} ${STATUS_WORD[h.status].padEnd(4)} ${clock.padStart(7)}  ${h.detail}`;
    return fit(text.trimEnd(), width);
  });
}

/** The lines that scroll above the live view for an event: notes and failures. */
export function persistentLines(e: ProgressEvent, started: number): string[] {
  if (e.kind === 'note') return e.message.split('\n').map((l, i) => (i === 0 ? `${stamp(e.at - started)}  ${l}` : l));
  if (e.status === 'fail') return [`${stamp(e.at - started)}  ${e.host}: ${e.step} failed${e.detail ? `: ${e.detail}` : ''}`];
  return [];
}

const ESC = '\x1b[';

/**
 * What the terminal receives for one event: the cursor moved up over the previous drawing of
 * `drawn` host lines, everything below cleared, the persistent lines, then the host lines.
 */
export function renderFrame(state: ViewState, e: ProgressEvent | undefined, drawn: number, now: number, width: number): string {
  const up = drawn > 0 ? `${ESC}${drawn}A\r${ESC}J` : '';
  const lines = [...(e ? persistentLines(e, state.started) : []), ...renderHostLines(state, now, width)];
  return up + lines.map((l) => `${l}\n`).join('');
}

/** Every frame a sequence of events produces (the live view as a pure function). */
export function renderFrames(events: readonly ProgressEvent[], started: number, width: number): string[] {
  let state: ViewState = { started, hosts: [] };
  let drawn = 0;
  return events.map((e) => {
    state = reduceView(state, e);
    const frame = renderFrame(state, e, drawn, e.at, width);
    drawn = state.hosts.length;
    return frame;
  });
}

// A wrapped line would break the cursor arithmetic, so lines never reach the last column.
function fit(text: string, width: number): string {
  const max = Math.max(20, width - 1);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function stamp(ms: number): string {
  return seconds(ms).padStart(6);
}

/** The live view on a terminal, plain lines otherwise. */
export function progressFor(io: ProgressOutput, quiet = false): Progress {
  if (quiet) return { step() {}, note() {} };
  const columns = io.errColumns;
  if (columns === undefined || io.env.TERM === 'dumb') return lineProgress(io);
  return liveProgress(io, () => io.errColumns ?? columns);
}

export function liveProgress(io: ProgressOutput, width: () => number, tickMs = 500): Progress {
  let state: ViewState = { started: Date.now(), hosts: [] };
  let drawn = 0;
  let closed = false;
  const draw = (e?: ProgressEvent) => {
    if (closed) return;
    if (e) state = reduceView(state, e);
    io.err(renderFrame(state, e, drawn, Date.now(), width()));
    drawn = state.hosts.length;
  };
  // Keeps the running steps' clocks moving; never keeps the process alive by itself.
  const timer = setInterval(() => {
    if (state.hosts.some((h) => h.status === 'start')) draw();
  }, tickMs);
  timer.unref();
  return {
    step: (host, step, status, detail) => draw({ kind: 'step', at: Date.now(), host, step, status, ...(detail !== undefined ? { detail } : {}) }),
    note: (message) => draw({ kind: 'note', at: Date.now(), message }),
    close() {
      clearInterval(timer);
      closed = true;
    },
  };
}

export function lineProgress(io: ProgressOutput, quiet = false): Progress {
  const started = Date.now();
  const stampNow = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  return {
    step(host, step, status, detail) {
      if (quiet || status === 'start') return;
      io.err(`${stampNow()}  ${host.padEnd(14)} ${step.padEnd(10)} ${status.padEnd(4)}${detail ? `  ${detail}` : ''}\n`);
    },
    note(message) {
      if (!quiet) io.err(`${stampNow()}  ${message}\n`);
    },
  };
}
