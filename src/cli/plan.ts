// zkplan plan <inventory> [--json] [--format text|markdown]
// The planner is imported when the command runs, so `--help` and the other commands skip it.
import type { Command } from 'commander';
import { jsonText } from '../common/json.js';
import { UsageError } from '../common/problems.js';
import type { ReportFormat } from '../plan/report.js';
import type { Io } from './io.js';

export function registerPlan(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('plan')
    .description('show where every server goes, the quorum and failure-domain analysis, and warnings (changes nothing)')
    .argument('<inventory>', 'inventory YAML file')
    .option('--json', 'print the plan as JSON (schema: schemas/plan.schema.json)')
    .option('--format <format>', 'text | markdown', 'text')
    .action(async (file: string, opts: { json?: boolean; format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'markdown') {
        throw new UsageError(`unknown --format "${opts.format}"; expected text or markdown`);
      }
      const [{ readPlan }, { formatPlanReport }] = await Promise.all([import('./inventory-file.js'), import('../plan/report.js')]);
      const { plan } = readPlan(file, io);
      io.out(opts.json ? jsonText(plan) : formatPlanReport(plan, opts.format as ReportFormat));
      setExit(0);
    });
}
