/**
 * Calendar helpers for the configured IANA time zone. Intl formatters are costly to build, so
 * each zone's formatter is made once and reused.
 */

const dateFormatters = new Map<string, Intl.DateTimeFormat>();
const minuteFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  let f = cache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
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
