/**
 * The plain-text report in the seed's "Output Format" (title with org and date range, totals,
 * top users, actions breakdown, resource types affected, anomalies, here one line group per group
 * of flags), plus week-over-week deltas, the 12-week trend,
 * the MCP tools and clients of the usage metric, and caveats: one more reader of the report's
 * view (render/view/). It is what `report summarize` prints and the email's text part. Pure.
 *
 * Every line is printable (render/plain-text.ts `printable`): a value from audit data, or from
 * an archived week whose summary holds a string where a number belongs, shows its control
 * characters escaped and can never start a line of its own, in a terminal or in the email.
 */

import type { Summary } from '../core/types';
import { printable, wrapText } from './plain-text';
import {
  buildReportView,
  type DeltaView,
  type Figure,
  formatCount,
  leftAfter,
  type RankedList,
  type ReportView,
} from './view';

/** For the command line, which names a report's days as the report does. */
export { reportDateRange } from './view';

/** Groups of anomalies listed in the text before "and N more". */
const TEXT_GROUP_LIMIT = 50;
/** Longest value from audit data shown in the text. */
const TEXT_VALUE_LIMIT = 200;
/** Wrap width of anomaly and note lines: 78 columns, as a plain-text e-mail expects. */
export const TEXT_WIDTH = 78;
/** Top users, actions and resource types listed before "and N more", as the email does. */
const TEXT_LIST_LIMIT = 8;
/** Notes listed before "and N more". */
const TEXT_NOTE_LIMIT = 10;
/** Longest tool or client name shown in the text (real ones are a few dozen characters). */
const TEXT_NAME_LIMIT = 100;

/**
 * Audit data made safe for a terminal or a text e-mail: printable (control characters shown
 * escaped, no bidi controls), at most `limit` code points as shown.
 */
export function plain(value: string, limit = TEXT_VALUE_LIMIT): string {
  const shown = printable(String(value));
  const chars = [...shown];
  if (chars.length <= limit) return shown;
  // An escape cut in half (`\u00`) would read as something else: the cut drops its partial tail.
  return `${chars
    .slice(0, limit - 1)
    .join('')
    .replace(/\\u[0-9a-f]{0,3}$/, '')}…`;
}

/** The text report of a summary (the command line's entry). */
export function formatTextReport(summary: Summary): string {
  return renderText(buildReportView(summary));
}

/**
 * The week-over-week line under a seed figure, in plain digits so a script can read it:
 * `  Change vs previous window: +133 (+7%; previous 2000)`, `-1 (previous 100000)` when the
 * change is under 0.05%, `0 (previous 67)`; empty without a previous window.
 */
function deltaLine({ delta }: Figure): string {
  if (!delta) return '';
  const sign = delta.diff > 0 ? '+' : delta.diff < 0 ? '-' : '';
  const percent = delta.percentPlain;
  const detail = percent ? `${sign}${percent}; previous ${delta.previous}` : `previous ${delta.previous}`;
  return `  Change vs previous window: ${sign}${Math.abs(delta.diff)} (${detail})`;
}

/** `  name: count` lines of a seed list, cut after `limit` with `and N more … (M calls)`. */
function seedList(list: RankedList, line: (name: string, count: number) => string, what: string): string[] {
  if (list.items.length === 0) return ['  (none)'];
  const lines = list.items.slice(0, TEXT_LIST_LIMIT).map((i) => line(plain(i.name), i.count));
  const rest = leftAfter(list.items, TEXT_LIST_LIMIT);
  if (rest.count > 0) {
    lines.push(`  and ${rest.count} more ${what} (${rest.calls} call${rest.calls === 1 ? '' : 's'})`);
  }
  return lines;
}

/** `, +50 (+9%) vs previous window`, `, none in previous window`, `, no change vs previous window`; empty when unknown. */
function changeNote(current: number, delta: DeltaView | undefined): string {
  if (!delta) return '';
  if (delta.previous === 0) return current > 0 ? ', none in previous window' : '';
  if (delta.diff === 0) return ', no change vs previous window';
  const sign = delta.diff > 0 ? '+' : '-';
  const percent = delta.percentPlain;
  return `, ${sign}${Math.abs(delta.diff)}${percent ? ` (${sign}${percent})` : ''} vs previous window`;
}

/** The "Tools" and "AI clients" sections (the MCP usage metric), or the one line saying why they are empty. */
function usageLines({ usage }: ReportView): string[] {
  if (usage.unavailable !== undefined) {
    return ['Tools and AI clients:', ...wrapText(plain(usage.unavailable, 600), TEXT_WIDTH, '  ', '    '), ''];
  }
  const lines = [`Tools (${usage.metric}):`];
  if (usage.tools.length === 0) lines.push('  (none)');
  for (const t of usage.tools) {
    lines.push(`  ${plain(t.name, TEXT_NAME_LIMIT)}: ${t.calls} (${t.share})${changeNote(t.calls, t.delta)}`);
  }
  if (usage.moreTools > 0) lines.push(`  and ${usage.moreTools} more tools (${usage.moreToolCalls} calls)`);
  lines.push('', 'AI clients:');
  if (usage.clients.length === 0) lines.push('  (none)');
  for (const c of usage.clients) {
    const people = `${c.people} ${c.people === 1 ? 'person' : 'people'}`;
    lines.push(`  ${plain(c.name, TEXT_NAME_LIMIT)}: ${c.calls} call${c.calls === 1 ? '' : 's'}, ${people}`);
  }
  if (usage.moreClients > 0) lines.push(`  and ${usage.moreClients} more clients (${usage.moreClientCalls} calls)`);
  lines.push('');
  return lines;
}

/** Agents listed in the text before "and N more". */
const TEXT_AGENT_LIMIT = 10;

/**
 * The "AI activity" section (`activity: all`): every kind with what it counts and its query, the
 * autonomous and interactive split, the agents and attribution, or that there were no agents.
 */
function aiLines({ ai }: ReportView): string[] {
  if (!ai) return [];
  const lines = [`${ai.title} (${ai.counting.charAt(0).toLowerCase()}${ai.counting.slice(1, -1)}):`];
  for (const k of ai.kinds) lines.push(`  ${k.label} (${k.query}): ${k.count}`);
  lines.push(`  Total AI actions: ${ai.total.value}`);
  if (ai.total.delta) lines.push(`  ${deltaLine(ai.total).trim()}`);
  lines.push(`  Autonomous (an AI agent acting with no user present): ${ai.autonomous.value}`);
  if (ai.autonomous.delta) lines.push(`  ${deltaLine(ai.autonomous).trim()}`);
  lines.push(`  Interactive (an AI agent acting while a user was present and approved): ${ai.interactive.value}`);
  if (ai.previousUnknown) lines.push(...wrapText(ai.previousUnknown, TEXT_WIDTH, '  ', '    '));
  lines.push('', 'Datadog AI agents (actions: interactive / autonomous, people acted for):');
  if (ai.noAgents !== undefined) lines.push(`  ${ai.noAgents}`);
  for (const a of ai.agents.slice(0, TEXT_AGENT_LIMIT)) {
    lines.push(
      ...wrapText(
        `${plain(a.name, TEXT_NAME_LIMIT)}: ${a.events} (${a.interactive} interactive, ${a.autonomous} autonomous), ${a.peopleLabel}`,
        TEXT_WIDTH,
        '  ',
        '    ',
      ),
    );
  }
  const more = leftAfter(
    ai.agents.map((a) => ({ count: a.events })),
    TEXT_AGENT_LIMIT,
  );
  if (more.count > 0) lines.push(`  and ${more.count} more agents (${more.calls} actions)`);
  if (ai.attribution) lines.push(...wrapText(`Attribution: ${ai.attribution}`, TEXT_WIDTH, '  ', '    '));
  lines.push(`  ${ai.link.text}: ${ai.link.url}`, '');
  return lines;
}

/**
 * The anomalies as groups, one each: severity, rule, person and status; what it covers and when
 * (its zone named); why it has its severity; the flag's own detail for a group of one flag; then
 * what exceptions accept, what was resolved since last week, and the flags per rule.
 */
function anomalyLines({ anomalies, triage }: ReportView): string[] {
  const lines = ['Anomalies:'];
  if (triage.summary) lines.push(`  ${triage.summary}`);
  // A wrapped line indents further than the line it continues.
  for (const g of triage.groups.slice(0, TEXT_GROUP_LIMIT)) {
    const status = g.status === 'new' ? 'new' : `recurring, ${g.weeks} weeks`;
    lines.push(...wrapText(`[${g.severity}] ${g.label} · ${plain(g.person)} · ${status}`, TEXT_WIDTH, '  ', '      '));
    const types = g.breakdown.map((t) => `${plain(t.name, 60)} ×${t.count}`);
    if (g.moreTypes > 0) types.push(`${g.moreTypes} more types`);
    const what = `${g.countLabel}${types.length > 0 ? ` (${types.join(', ')})` : ''}${g.qualifier ? ` ${g.qualifier.word} ${plain(g.qualifier.value, 100)}` : ''}`;
    lines.push(...wrapText(`${what} · ${g.when}`, TEXT_WIDTH, '      ', '        '));
    lines.push(...wrapText(g.severityReason, TEXT_WIDTH, '      ', '        '));
    if (g.exceptionExpired) lines.push(...wrapText(plain(g.exceptionExpired, 400), TEXT_WIDTH, '      ', '        '));
    if (g.detail) lines.push(...wrapText(plain(g.detail, 400), TEXT_WIDTH, '      ', '        '));
  }
  if (triage.groups.length > TEXT_GROUP_LIMIT) {
    lines.push(`  … and ${formatCount(triage.groups.length - TEXT_GROUP_LIMIT)} more groups (see Datadog Audit Trail)`);
  }
  if (anomalies.flags.length === 0) lines.push('  (none flagged)');
  for (const a of triage.accepted) {
    lines.push(...wrapText(`${plain(a.text, 300)}: ${plain(a.reason, 500)}`, TEXT_WIDTH, '  ', '    '));
  }
  if (triage.resolved.length > 0) {
    const resolved = triage.resolved
      .slice(0, TEXT_GROUP_LIMIT)
      .map((r) => `${r.label} · ${plain(r.person)} (${r.weeksLabel})`);
    const more = triage.resolved.length - resolved.length;
    lines.push(
      ...wrapText(
        `Resolved since last week: ${resolved.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
        TEXT_WIDTH,
        '  ',
        '    ',
      ),
    );
  }
  if (triage.comparison) lines.push(...wrapText(plain(triage.comparison, 400), TEXT_WIDTH, '  ', '    '));
  const counts = anomalies.kinds.map((k) => `${k.kind} ${k.count === null ? 'not evaluated' : k.formatted}`);
  lines.push(...wrapText(`Flags per rule: ${counts.join(', ')}`, TEXT_WIDTH, '  ', '    '), '');
  return lines;
}

/** The text report of a view. */
export function renderText(view: ReportView): string {
  const lines: string[] = [`${view.title} — ${plain(view.subtitle)} — ${view.window.days}`, ''];

  if (!view.complete) {
    lines.push('PARTIAL DATA: this report is incomplete; the figures below are lower bounds.', '');
  }

  // The seed's figures in plain digits, each change on a line of its own, so `Total MCP tool
  // calls: 2133` parses exactly as the seed's output does.
  const { calls, people } = view.figures;
  lines.push(`Total MCP tool calls: ${calls.value}`);
  if (calls.delta) lines.push(deltaLine(calls));
  lines.push(`Unique users: ${people.value}`);
  if (people.delta) lines.push(deltaLine(people));
  if (view.ai) lines.push(`AI actions (every kind): ${view.ai.total.value}, autonomous: ${view.ai.autonomous.value}`);
  if (view.trend) {
    // One line each, plain digits, oldest first; "-" is a week without an archived report, or
    // (for the AI figures) one that did not read every kind of AI activity: a gap, never a zero.
    const weeks = view.trend.weeks;
    const digits = (of: (w: (typeof weeks)[number]) => number | null): string =>
      weeks.map((w) => (of(w) === null ? '-' : String(of(w)))).join(' ');
    lines.push(`Weekly calls, last ${weeks.length} weeks: ${digits((w) => w.calls)}`);
    if (view.trend.hasAi) {
      lines.push(`Weekly AI actions, last ${weeks.length} weeks: ${digits((w) => w.aiTotal)}`);
      lines.push(`Weekly autonomous AI actions, last ${weeks.length} weeks: ${digits((w) => w.autonomous)}`);
    }
  }
  lines.push('');

  lines.push('Top users:');
  lines.push(
    ...seedList(view.topUsers, (name, count) => `  ${name}: ${count} call${count === 1 ? '' : 's'}`, 'people'),
    '',
  );
  lines.push('Actions breakdown:');
  lines.push(...seedList(view.actions, (name, count) => `  ${name}: ${count}`, 'actions'), '');
  lines.push('Resource types affected:');
  lines.push(...seedList(view.resourceTypes, (name, count) => `  ${name}: ${count}`, 'resource types'), '');

  lines.push(...aiLines(view), ...usageLines(view), ...anomalyLines(view));

  lines.push(
    view.ai
      ? `Resources created, modified or deleted by AI (every kind): ${view.changes.total}`
      : `Resources created, modified or deleted by AI tool calls: ${view.changes.total}`,
  );
  const notes = view.notice?.reasons ?? [];
  if (notes.length > 0) {
    lines.push('', 'Notes:');
    for (const w of notes.slice(0, TEXT_NOTE_LIMIT)) {
      lines.push(...wrapText(`- ${plain(w, 600)}`, TEXT_WIDTH, '  ', '    '));
    }
    const more = notes.length - TEXT_NOTE_LIMIT;
    if (more > 0) lines.push(`  - and ${formatCount(more)} more`);
  }
  const { iso, zone } = view.window;
  lines.push('', `Window: ${iso.from} to ${iso.to} (days in ${zone})`);
  lines.push(`${view.links.auditTrail.text}: ${view.links.auditTrail.url}`);
  // The one rule, on every line: what `plain` did not see (a figure or a date of an archived
  // week, read back as whatever its JSON held) cannot break a line or reach the terminal raw.
  return `${lines.map(printable).join('\n')}\n`;
}
