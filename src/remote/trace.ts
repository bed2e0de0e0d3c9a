// Phase durations, to see where an apply spends its time, counted from process start. Off unless
// the CLI switches it on (ZKPLAN_TRACE=1, see src/cli/main.ts); costs nothing then.

let write: ((line: string) => void) | undefined;

/** Switches tracing on for the rest of the process; lines go to `to` (stderr by default). */
export function enableTrace(to: (line: string) => void = (line) => void process.stderr.write(line)): void {
  write = to;
}

export interface Phase {
  end(detail?: string): void;
}

export function tracePhase(name: string): Phase {
  const out = write;
  if (!out) return { end() {} };
  const t0 = performance.now();
  return {
    end(detail) {
      const t1 = performance.now();
      out(`trace ${t1.toFixed(0).padStart(6)} ms  ${name.padEnd(22)} ${(t1 - t0).toFixed(0).padStart(6)} ms${detail ? `  ${detail}` : ''}\n`);
    },
  };
}

export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  const phase = tracePhase(name);
  try {
    return await work();
  } finally {
    phase.end();
  }
}
