/**
 * The view's formatting (private to render/view/, which build.ts puts together): dates in the
 * report's zone, counts, week-over-week deltas, severity tallies, labels and sparklines. Plain
 * text, which each renderer escapes for its medium.
 */

import { localDate } from '../../core/time';
import {
  ANOMALY_KINDS,
  type AnomalyFlag,
  type AnomalyKind,
  MULTIPLE,
  type Severity,
  type Summary,
} from '../../core/types';
import { formatChangePercent, groupDigits } from './percent';

export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

export const KIND_LABELS: Readonly<Record<AnomalyKind, string>> = {
  destructive_action: 'Destructive action',
  support_user: 'Support user',
  first_time_user: 'First-time user',
  high_volume: 'High volume',
  out_of_scope: 'Out of scope',
  new_country: 'New country',
  new_client: 'New MCP client',
  autonomous_change: 'Autonomous change',
};

/** `2000` → `2,000`. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? groupDigits(value) : '0';
}

/** Formatters per timezone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The summary's timezone when the runtime knows it, else UTC (a bad zone must not break the report). */
export function zoneOf(summary: Summary): string {
  try {
    formatterFor(summary.timezone);
    return summary.timezone;
  } catch {
    return 'UTC';
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(epochMs: number, timeZone: string): Record<string, string> {
  const p: Record<string, string> = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(new Date(epochMs))
      .map((part) => [part.type, part.value]),
  );
  // Month as a number for ISO dates, and its short English name for labels.
  const index = MONTHS.findIndex((m) => p.month?.startsWith(m));
  p.monthName = MONTHS[index] ?? p.month ?? '';
  p.month = String(index + 1).padStart(2, '0');
  return p;
}

/** `YYYY-MM-DD HH:mm` of an instant in `timeZone`. */
export function formatDateTime(epochMs: number, timeZone: string): string {
  if (!Number.isFinite(epochMs)) return 'unknown time';
  const p = parts(epochMs, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `Tue 17 Nov 10:00` of an ISO instant in `timeZone` (for lists, where the year is obvious). */
export function formatShortTime(iso: string, timeZone: string): string {
  const epochMs = Date.parse(iso);
  if (!Number.isFinite(epochMs)) return 'unknown time';
  const p = parts(epochMs, timeZone);
  return `${p.weekday} ${Number(p.day)} ${p.monthName} ${p.hour}:${p.minute}`;
}

/** `Mon 16 Nov` of a calendar date `YYYY-MM-DD` (already in the report's timezone). */
export function formatDayLabel(date: string): string {
  const epochMs = Date.parse(`${date}T12:00:00Z`);
  if (!Number.isFinite(epochMs)) return date;
  const p = parts(epochMs, 'UTC');
  return `${p.weekday} ${Number(p.day)} ${p.monthName}`;
}

/** `Sun 22 Nov`: the calendar day in `timeZone` of the last instant before `epochMs` (an exclusive end). */
export function formatDayBefore(epochMs: number, timeZone: string): string {
  if (!Number.isFinite(epochMs - 1)) return 'unknown time';
  const p = parts(epochMs - 1, timeZone);
  return `${p.weekday} ${Number(p.day)} ${p.monthName}`;
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

/** Against the previous window: never a zero with an arrow, never "0%" for a change. */
export interface DeltaView {
  readonly direction: 'up' | 'down' | 'flat';
  readonly previous: number;
  /** `current − previous`. */
  readonly diff: number;
  /** Size of the change in percent, unsigned (`25%`, `0.1%`); absent from none or under 0.05%. */
  readonly percent?: string;
  /** The same in plain digits (`1200000%`), for lines a script reads. */
  readonly percentPlain?: string;
  /** The change itself: `▲ +25% (+400)`, `▲ +1` (under 0.05%), `▲ +6` (from none), or `no change`. */
  readonly change: string;
  /** What it is measured against: `vs previous week`, or `none the previous week`. */
  readonly against: string;
  /** The one phrase: `▲ +25% (+400) vs previous week`, `▲ +6, none the previous week`. */
  readonly text: string;
  /** Short form for tight spaces: `+25% vs previous week`, `+1 vs previous week`. */
  readonly short: string;
}

/** Week-over-week change of `current` against `previous`; never a zero with an arrow. */
export function computeDelta(current: number, previous: number): DeltaView {
  const diff = current - previous;
  if (diff === 0) {
    const text = 'no change vs previous week';
    return {
      direction: 'flat',
      previous,
      diff,
      change: 'no change',
      against: 'vs previous week',
      text,
      short: text,
    };
  }
  const direction = diff > 0 ? 'up' : 'down';
  const arrow = diff > 0 ? '▲' : '▼';
  const sign = diff > 0 ? '+' : '−';
  const signed = `${sign}${formatCount(Math.abs(diff))}`;
  if (!(previous > 0)) {
    const against = 'none the previous week';
    return {
      direction,
      previous,
      diff,
      change: `${arrow} ${signed}`,
      against,
      text: `${arrow} ${signed}, ${against}`,
      short: `${signed}, ${against}`,
    };
  }
  const percent = formatChangePercent(diff, previous);
  const percentPlain = formatChangePercent(diff, previous, 'plain');
  const change = percent ? `${arrow} ${sign}${percent} (${signed})` : `${arrow} ${signed}`;
  const against = 'vs previous week';
  return {
    direction,
    previous,
    diff,
    ...(percent ? { percent } : {}),
    ...(percentPlain ? { percentPlain } : {}),
    change,
    against,
    text: `${change} ${against}`,
    short: `${percent ? `${sign}${percent}` : signed} ${against}`,
  };
}

/**
 * Why a rule was not evaluated, for "not evaluated (…)": `new_client` needs the MCP usage metric
 * (and its baseline), the others the audit baseline.
 */
export function notEvaluatedWhy(summary: Summary, kind: AnomalyKind): string {
  return kind === 'new_client' && summary.tool_usage?.status !== 'ok' ? 'no usage metric' : 'no baseline';
}

/** Number of anomalies: the evaluated counts, or the list when it is longer. */
export function anomalyTotal(summary: Summary): number {
  let counted = 0;
  const counts: Partial<Record<AnomalyKind, number | null>> = summary.anomaly_counts;
  for (const kind of ANOMALY_KINDS) counted += counts[kind] ?? 0;
  return Math.max(counted, summary.anomalies.length);
}

/** Flags per severity, from the list. */
export function severityCounts(summary: Summary): Record<Severity, number> {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies) if (flag.severity in counts) counts[flag.severity] += 1;
  return counts;
}

/** `1 anomaly` / `3 anomalies`. */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

/**
 * The one-line gist: `2,000 calls by 67 people, 3 anomalies (1 high)`. Plain text from numbers
 * only (no audit strings), so it is safe in every medium. Whether the data is partial is said by
 * the caller, once (`partialMark`).
 */
export function headline(summary: Summary): string {
  const total = anomalyTotal(summary);
  const people = pluralize(summary.unique_users, 'person', 'people');
  const calls = pluralize(summary.total_tool_calls, 'call');
  const high = severityCounts(summary).high;
  const anomalies =
    total === 0
      ? 'no anomalies'
      : `${pluralize(total, 'anomaly', 'anomalies')}${high > 0 ? ` (${formatCount(high)} high)` : ''}`;
  // A report of every kind of AI activity says how many AI actions there were, and how many autonomous.
  const ai = summary.ai_activity;
  const actions = ai ? `, ${pluralize(ai.total, 'AI action')} (${formatCount(ai.autonomous)} autonomous)` : '';
  return `${calls} by ${people}${actions}, ${anomalies}`;
}

/** Zero-width joiner-free sparkline of daily counts: `▁▂▃▄▅▆▇█`. */
export function sparkline(values: readonly number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max <= 0 || v <= 0 ? bars[0] : bars[Math.min(7, Math.max(0, Math.ceil((v / max) * 8) - 1))]))
    .join('');
}

/** A sparkline in which a week without an archived report is a middle dot (`▃▅·▇█`): a gap, never a guess. */
export function sparklineWithGaps(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const bars = sparkline(known);
  let next = 0;
  return values.map((v) => (v === null ? '·' : (bars[next++] ?? '▁'))).join('');
}

/** `8 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report`, from numbers only. */
export function trendCaption(points: ReadonlyArray<{ readonly calls: number | null }>): string {
  const known = points.filter((p): p is { calls: number } => p.calls !== null);
  const first = known[0];
  const last = known[known.length - 1];
  const missing = points.length - known.length;
  const range = first && last ? `${formatCount(first.calls)} → ${formatCount(last.calls)} calls a week` : 'no figures';
  return `${pluralize(points.length, 'week')}: ${range}${missing > 0 ? `; ${pluralize(missing, 'week has', 'weeks have')} no archived report` : ''}`;
}

/** Who did what to which resource (or through which MCP client), for a flag's line; "(multiple)" placeholders are left out. */
export function flagSubject(flag: AnomalyFlag): string[] {
  return [flag.user, flag.action, flag.resource_type, flag.resource_id, flag.client ?? ''].filter(
    (v) => v !== '' && v !== MULTIPLE,
  );
}

/**
 * When a flag's call happened, `Tue 17 Nov 10:00`; empty for `new_client`, whose metric has no
 * call times (its timestamp is the window's start, which would read as the time of a call).
 */
export function flagTime(flag: AnomalyFlag, timeZone: string): string {
  return flag.kind === 'new_client' ? '' : formatShortTime(flag.timestamp, timeZone);
}
