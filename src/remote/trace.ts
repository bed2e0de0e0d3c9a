// ZKPLAN_TRACE=1: phase durations on stderr, to see where an apply spends its time
// counted from process start. Off by default; costs nothing then.

const enabled = process.env.ZKPLAN_TRACE === '1';


export interface Phase {
  end(detail?: string): void;
}

export function tracePhase(name: string): Phase {
  if (!enabled) return { end() {} };
  const t0 = performance.now();
  return {
    end(detail) {
      const t1 = performance.now();
      process.stderr.write(`trace ${t1.toFixed(0).padStart(6)} ms  ${name.padEnd(22)} ${(t1 - t0).toFixed(0).padStart(6)} ms${detail ? `  ${detail}` : ''}\n`);
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
