// One line per host per step while apply runs (stderr), so stdout stays for the result.
import type { Io } from '../cli/io.js';

export type StepStatus = 'start' | 'ok' | 'fail' | 'skip' | 'info';

export interface Progress {
  step(host: string, step: string, status: StepStatus, detail?: string): void;
  note(message: string): void;
}

export function lineProgress(io: Io, quiet = false): Progress {
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  return {
    step(host, step, status, detail) {
      if (quiet || status === 'start') return;
      io.err(`${stamp()}  ${host.padEnd(14)} ${step.padEnd(10)} ${status.padEnd(4)}${detail ? `  ${detail}` : ''}\n`);
    },
    note(message) {
      if (!quiet) io.err(`${stamp()}  ${message}\n`);
    },
  };
}
