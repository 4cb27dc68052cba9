// What `flux-sops check` prints: a table of the findings (the fix under each, wrapped at a
// terminal's width) and a summary line, or the same as JSON. Pure: tested by text.
import type { Finding } from './findings.js';
import { printable, plural } from '../text.js';

function count(findings: readonly Finding[], severity: Finding['severity']): number {
  return findings.filter((each) => each.severity === severity).length;
}

/**
 * Breaks `text` at spaces into lines of at most `width` columns after `indent` (a word longer
 * than that keeps its own line): what a terminal would wrap at column 0, kept under its column.
 */
function wrapIndented(text: string, indent: string, width: number | undefined): string {
  if (width === undefined || indent.length + text.length <= width) {
    return text;
  }
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > room) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines.join(`\n${indent}`);
}

/**
 * One row per finding, its fix on the line below the message; with `width` (a terminal's), the
 * fix wraps under itself.
 */
export function formatTable(findings: readonly Finding[], filesChecked: number, width?: number): string {
  const summary =
    `${plural(count(findings, 'error'), 'error')}, ${count(findings, 'pending')} pending, ` +
    `${plural(count(findings, 'warning'), 'warning')} (${plural(filesChecked, 'file')} checked)`;
  if (findings.length === 0) {
    return `No findings: ${summary}\n`;
  }
  const header = ['SEVERITY', 'RULE', 'FILE', 'MESSAGE'] as const;
  const rows = findings.map(
    (each) => [each.severity, each.rule, printable(each.file), printable(each.message), printable(each.fix)] as const,
  );
  const widths = [0, 1, 2].map((column) =>
    Math.max(header[column]?.length ?? 0, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const indent = ' '.repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  const lines = [
    line(header),
    ...rows.flatMap((row) => [line(row.slice(0, 4)), `${indent}fix: ${wrapIndented(row[4], `${indent}     `, width)}`]),
  ];
  return `${lines.join('\n')}\n\n${summary}\n`;
}

export function formatJson(findings: readonly Finding[], filesChecked: number): string {
  const result = {
    findings: findings.map(({ file, rule, severity, message, fix }) => ({ file, rule, severity, message, fix })),
    summary: {
      errors: count(findings, 'error'),
      pending: count(findings, 'pending'),
      warnings: count(findings, 'warning'),
      filesChecked,
    },
  };
  return `${JSON.stringify(result, null, 2)}\n`;
}
