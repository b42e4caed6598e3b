/**
 * The plain-text report in the seed's "Output Format" (title with org and date range, totals,
 * top users, actions breakdown, resource types affected, anomalies), plus week-over-week deltas
 * and caveats. It is what `report summarize` prints and the email's text part. Pure.
 */
import { neutralizeBidi } from './plain-text';
import { localDate } from './time';
import { ANOMALY_KINDS, MULTIPLE, type Summary } from './types';

/** Anomalies listed in the text before "and N more". */
const TEXT_ANOMALY_LIMIT = 50;
/** Longest value from audit data shown in the text. */
const TEXT_VALUE_LIMIT = 200;

/** Audit data made safe for a terminal or a text e-mail: no control characters, no bidi controls, bounded length. */
export function plain(value: string, limit = TEXT_VALUE_LIMIT): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const clean = neutralizeBidi(value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' '));
  const chars = [...clean];
  return chars.length > limit ? `${chars.slice(0, limit - 1).join('')}…` : clean;
}

/** The first and last calendar day of the window in the summary's zone (`to` is exclusive). */
export function reportDateRange(summary: Pick<Summary, 'window' | 'timezone'>): { from: string; to: string } {
  const from = Date.parse(summary.window.from);
  const to = Date.parse(summary.window.to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { from: summary.window.from, to: summary.window.to };
  return { from: localDate(from, summary.timezone), to: localDate(Math.max(from, to - 1), summary.timezone) };
}

/** `+12 (+8%)`-style change against the previous window; empty without one. */
export function formatDelta(current: number, previous: number | undefined): string {
  if (previous === undefined) return '';
  const diff = current - previous;
  const sign = diff > 0 ? '+' : diff < 0 ? '−' : '±';
  const pct = previous > 0 ? `, ${sign}${Math.round((Math.abs(diff) / previous) * 100)}%` : '';
  return `${sign}${Math.abs(diff).toLocaleString('en-US')}${pct}`;
}

const n = (value: number): string => value.toLocaleString('en-US');

export function formatTextReport(summary: Summary): string {
  const { from, to } = reportDateRange(summary);
  const prev = summary.previous_window;
  const lines: string[] = [`AI Activity Audit — ${plain(summary.org)} — ${from} to ${to}`, ''];

  if (!summary.complete) {
    lines.push('PARTIAL DATA: this report is incomplete; the figures below are lower bounds.', '');
  }

  const totalDelta = formatDelta(summary.total_tool_calls, prev?.total_tool_calls);
  const usersDelta = formatDelta(summary.unique_users, prev?.unique_users);
  lines.push(
    `Total MCP tool calls: ${n(summary.total_tool_calls)}${totalDelta ? ` (${totalDelta} vs previous window)` : ''}`,
  );
  lines.push(`Unique users: ${n(summary.unique_users)}${usersDelta ? ` (${usersDelta} vs previous window)` : ''}`);
  lines.push('');

  lines.push('Top users:');
  for (const u of summary.top_users) lines.push(`  ${plain(u.user)}: ${n(u.calls)} call${u.calls === 1 ? '' : 's'}`);
  if (summary.top_users.length === 0) lines.push('  (none)');
  lines.push('');

  lines.push('Actions breakdown:');
  for (const a of summary.actions_breakdown) lines.push(`  ${plain(a.action)}: ${n(a.count)}`);
  if (summary.actions_breakdown.length === 0) lines.push('  (none)');
  lines.push('');

  lines.push('Resource types affected:');
  for (const r of summary.resource_types) lines.push(`  ${plain(r.type)}: ${n(r.count)}`);
  if (summary.resource_types.length === 0) lines.push('  (none)');
  lines.push('');

  lines.push('Anomalies:');
  for (const a of summary.anomalies.slice(0, TEXT_ANOMALY_LIMIT)) {
    const what =
      a.action === MULTIPLE ? '' : `  ${plain(a.action, 60)} ${plain(a.resource_type, 60)} ${plain(a.resource_id, 80)}`;
    lines.push(`  [${a.severity}] ${a.timestamp}  ${a.kind}  ${plain(a.user)}${what}`);
    lines.push(`      ${plain(a.detail, 400)}`);
  }
  if (summary.anomalies.length > TEXT_ANOMALY_LIMIT) {
    lines.push(`  … and ${n(summary.anomalies.length - TEXT_ANOMALY_LIMIT)} more (see Datadog Audit Trail)`);
  }
  if (summary.anomalies.length === 0) lines.push('  (none flagged)');
  const counts = ANOMALY_KINDS.map((kind) => {
    const count = summary.anomaly_counts[kind];
    return `${kind} ${count === null ? 'not evaluated' : n(count)}`;
  });
  lines.push(`  Counts: ${counts.join(', ')}`);
  lines.push('');

  lines.push(`Resources created, modified or deleted by AI tool calls: ${n(summary.changes.total)}`);
  if (summary.warnings.length > 0) {
    lines.push('', 'Notes:');
    for (const w of summary.warnings) lines.push(`  - ${plain(w, 600)}`);
  }
  lines.push('', `Window: ${summary.window.from} to ${summary.window.to} (days in ${summary.timezone})`);
  lines.push(`Open in Datadog Audit Trail: ${summary.link}`);
  return `${lines.join('\n')}\n`;
}
