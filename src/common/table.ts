// Aligned plain-text tables: command summaries and the plan report (first row is the header).
export function tableLines(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `${indent}${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`);
}
