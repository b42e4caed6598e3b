/**
 * The plain-text report in the seed's "Output Format" (title with org and date range, totals,
 * top users, actions breakdown, resource types affected, anomalies), plus week-over-week deltas,
 * the MCP tools and clients of the usage metric, and caveats. It is what `report summarize`
 * prints and the email's text part. Pure.
 */

import { localDate } from '../core/time';
import { ANOMALY_KINDS, MULTIPLE, type Summary } from '../core/types';
import { formatChangePercent } from './percent';
import { neutralizeBidi, wrapText } from './plain-text';
import { usageView } from './usage-view';

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

/** Whose report it is: the org, and a scoped report's scope: `Acme (team sre)`. */
export function reportTitle(summary: Pick<Summary, 'org' | 'scope'>): string {
  return summary.scope ? `${summary.org} (${summary.scope.label})` : summary.org;
}

/** The first and last calendar day of the window in the summary's zone (`to` is exclusive). */
export function reportDateRange(summary: Pick<Summary, 'window' | 'timezone'>): { from: string; to: string } {
  const from = Date.parse(summary.window.from);
  const to = Date.parse(summary.window.to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { from: summary.window.from, to: summary.window.to };
  return { from: localDate(from, summary.timezone), to: localDate(Math.max(from, to - 1), summary.timezone) };
}

/** Wrap width of anomaly and note lines: 78 columns, as a plain-text e-mail expects. */
export const TEXT_WIDTH = 78;
/** Top users, actions and resource types listed before "and N more", as the email does. */
const TEXT_LIST_LIMIT = 8;
/** Notes listed before "and N more". */
const TEXT_NOTE_LIMIT = 10;

/**
 * The week-over-week line under a seed figure, in plain digits so a script can read it:
 * `  Change vs previous window: +133 (+7%; previous 2000)`, `-1 (previous 100000)` when the
 * change is under 0.05%, `0 (previous 67)`; empty without a previous window.
 */
export function formatDelta(current: number, previous: number | undefined): string {
  if (previous === undefined) return '';
  const diff = current - previous;
  const sign = diff > 0 ? '+' : diff < 0 ? '-' : '';
  const percent = formatChangePercent(diff, previous, 'plain');
  const detail = percent ? `${sign}${percent}; previous ${previous}` : `previous ${previous}`;
  return `  Change vs previous window: ${sign}${Math.abs(diff)} (${detail})`;
}

/** `  name: count` lines of a seed list, cut after `limit` with `and N more … (M calls)`. */
function seedList(
  items: ReadonlyArray<{ readonly name: string; readonly count: number }>,
  limit: number,
  line: (name: string, count: number) => string,
  what: string,
): string[] {
  if (items.length === 0) return ['  (none)'];
  const lines = items.slice(0, limit).map((i) => line(plain(i.name), i.count));
  const rest = items.slice(limit);
  if (rest.length > 0) {
    const calls = rest.reduce((sum, i) => sum + i.count, 0);
    lines.push(`  and ${rest.length} more ${what} (${calls} call${calls === 1 ? '' : 's'})`);
  }
  return lines;
}

/** Grouped digits (`1,234`) for prose lines; the seed's figures use plain digits. */
const n = (value: number): string => value.toLocaleString('en-US');

/** `, +50 (+9%) vs previous window`, `, none in previous window`, `, no change vs previous window`; empty when unknown. */
function changeNote(current: number, previous: number | null): string {
  if (previous === null) return '';
  if (previous === 0) return current > 0 ? ', none in previous window' : '';
  const diff = current - previous;
  if (diff === 0) return ', no change vs previous window';
  const sign = diff > 0 ? '+' : '-';
  const percent = formatChangePercent(diff, previous, 'plain');
  return `, ${sign}${Math.abs(diff)}${percent ? ` (${sign}${percent})` : ''} vs previous window`;
}

/** Longest tool or client name shown in the text (real ones are a few dozen characters). */
const TEXT_NAME_LIMIT = 100;

/** The "Tools" and "AI clients" sections (the MCP usage metric), or the one line saying why they are empty. */
function usageLines(summary: Summary): string[] {
  const view = usageView(summary);
  if (view.unavailable !== undefined) {
    return ['Tools and AI clients:', ...wrapText(plain(view.unavailable, 600), TEXT_WIDTH, '  ', '    '), ''];
  }
  const lines = ['Tools (datadog.mcp.tool.usage):'];
  if (view.tools.length === 0) lines.push('  (none)');
  for (const t of view.tools) {
    lines.push(`  ${plain(t.name, TEXT_NAME_LIMIT)}: ${t.calls} (${t.share})${changeNote(t.calls, t.previous)}`);
  }
  if (view.moreTools > 0) lines.push(`  and ${view.moreTools} more tools (${view.moreToolCalls} calls)`);
  lines.push('', 'AI clients:');
  if (view.clients.length === 0) lines.push('  (none)');
  for (const c of view.clients) {
    const people = `${c.people} ${c.people === 1 ? 'person' : 'people'}`;
    lines.push(`  ${plain(c.name, TEXT_NAME_LIMIT)}: ${c.calls} call${c.calls === 1 ? '' : 's'}, ${people}`);
  }
  if (view.moreClients > 0) lines.push(`  and ${view.moreClients} more clients (${view.moreClientCalls} calls)`);
  lines.push('');
  return lines;
}

export function formatTextReport(summary: Summary): string {
  const { from, to } = reportDateRange(summary);
  const prev = summary.previous_window;
  const lines: string[] = [`AI Activity Audit — ${plain(reportTitle(summary))} — ${from} to ${to}`, ''];

  if (!summary.complete) {
    lines.push('PARTIAL DATA: this report is incomplete; the figures below are lower bounds.', '');
  }

  // The seed's figures in plain digits, each change on a line of its own, so `Total MCP tool
  // calls: 2133` parses exactly as the seed's output does.
  lines.push(`Total MCP tool calls: ${summary.total_tool_calls}`);
  const totalDelta = formatDelta(summary.total_tool_calls, prev?.total_tool_calls);
  if (totalDelta) lines.push(totalDelta);
  lines.push(`Unique users: ${summary.unique_users}`);
  const usersDelta = formatDelta(summary.unique_users, prev?.unique_users);
  if (usersDelta) lines.push(usersDelta);
  const trend = summary.trend ?? [];
  if (trend.length > 1) {
    // One line, plain digits, oldest first; "-" is a week without an archived report.
    lines.push(
      `Weekly calls, last ${trend.length} weeks: ${trend.map((p) => (p.calls === null ? '-' : String(p.calls))).join(' ')}`,
    );
  }
  lines.push('');

  lines.push('Top users:');
  lines.push(
    ...seedList(
      summary.top_users.map((u) => ({ name: u.user, count: u.calls })),
      TEXT_LIST_LIMIT,
      (name, count) => `  ${name}: ${count} call${count === 1 ? '' : 's'}`,
      'people',
    ),
    '',
  );

  lines.push('Actions breakdown:');
  lines.push(
    ...seedList(
      summary.actions_breakdown.map((a) => ({ name: a.action, count: a.count })),
      TEXT_LIST_LIMIT,
      (name, count) => `  ${name}: ${count}`,
      'actions',
    ),
    '',
  );

  lines.push('Resource types affected:');
  lines.push(
    ...seedList(
      summary.resource_types.map((r) => ({ name: r.type, count: r.count })),
      TEXT_LIST_LIMIT,
      (name, count) => `  ${name}: ${count}`,
      'resource types',
    ),
    '',
  );

  lines.push(...usageLines(summary));

  lines.push('Anomalies:');
  // One anomaly: who and when, what it touched, why it was flagged; a wrapped line indents further.
  for (const a of summary.anomalies.slice(0, TEXT_ANOMALY_LIMIT)) {
    lines.push(...wrapText(`[${a.severity}] ${a.timestamp} ${a.kind} ${plain(a.user)}`, TEXT_WIDTH, '  ', '      '));
    if (a.action !== MULTIPLE) {
      const what = `${plain(a.action, 60)} ${plain(a.resource_type, 60)} ${plain(a.resource_id, 80)}`;
      lines.push(...wrapText(what, TEXT_WIDTH, '      ', '        '));
    }
    lines.push(...wrapText(plain(a.detail, 400), TEXT_WIDTH, '      ', '        '));
  }
  if (summary.anomalies.length > TEXT_ANOMALY_LIMIT) {
    lines.push(`  … and ${n(summary.anomalies.length - TEXT_ANOMALY_LIMIT)} more (see Datadog Audit Trail)`);
  }
  if (summary.anomalies.length === 0) lines.push('  (none flagged)');
  const counts = ANOMALY_KINDS.map((kind) => {
    const count = summary.anomaly_counts[kind];
    return `${kind} ${count === null ? 'not evaluated' : n(count)}`;
  });
  lines.push(...wrapText(`Counts: ${counts.join(', ')}`, TEXT_WIDTH, '  ', '    '));
  lines.push('');

  lines.push(`Resources created, modified or deleted by AI tool calls: ${summary.changes.total}`);
  if (summary.warnings.length > 0) {
    lines.push('', 'Notes:');
    for (const w of summary.warnings.slice(0, TEXT_NOTE_LIMIT)) {
      lines.push(...wrapText(`- ${plain(w, 600)}`, TEXT_WIDTH, '  ', '    '));
    }
    const more = summary.warnings.length - TEXT_NOTE_LIMIT;
    if (more > 0) lines.push(`  - and ${n(more)} more`);
  }
  lines.push('', `Window: ${summary.window.from} to ${summary.window.to} (days in ${summary.timezone})`);
  lines.push(`Open in Datadog Audit Trail: ${summary.link}`);
  return `${lines.join('\n')}\n`;
}
