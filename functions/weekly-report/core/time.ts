/**
 * Calendar helpers for the configured IANA time zone. Intl formatters are costly to build, so
 * each zone's formatter is made once and reused.
 */

export const MINUTE_MS = 60 * 1000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** A span of time `[from, to)` in epoch milliseconds: the one time-range type of the job. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** A time range as JSON writes it (the summary, the archive): ISO 8601 instants. */
export interface IsoRange {
  readonly from: string;
  readonly to: string;
}

/** The one conversion of a range to its JSON form. */
export function isoRange(range: TimeRange): IsoRange {
  return { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() };
}

/** A range read back from JSON (NaN where an instant does not parse). */
export function parseIsoRange(range: IsoRange): TimeRange {
  return { from: Date.parse(range.from), to: Date.parse(range.to) };
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();
const minuteFormatters = new Map<string, Intl.DateTimeFormat>();
const secondFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(
  cache: Map<string, Intl.DateTimeFormat>,
  timeZone: string,
  withTime: boolean,
  withSeconds = false,
): Intl.DateTimeFormat {
  let f = cache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
      ...(withSeconds ? { second: '2-digit' } : {}),
    });
    cache.set(timeZone, f);
  }
  return f;
}

function parts(f: Intl.DateTimeFormat, ms: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) out[p.type] = p.value;
  return out;
}

/** A local date and wall-clock time, to the second. */
export interface WallClock {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** The wall-clock time in `timeZone` at instant `ms` (seconds truncated). */
export function wallClock(ms: number, timeZone: string): WallClock {
  const p = parts(formatter(secondFormatters, timeZone, true, true), ms);
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
  };
}

/** `YYYY-MM-DD` of the calendar day that contains `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  const p = parts(formatter(dateFormatters, timeZone, false), ms);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `YYYY-MM-DD HH:MM` in `timeZone` (for details people read). */
export function localMinute(ms: number, timeZone: string): string {
  if (!Number.isFinite(ms)) return '(unknown time)';
  const p = parts(formatter(minuteFormatters, timeZone, true), ms);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function isoOrUnknown(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '(unknown)';
}
