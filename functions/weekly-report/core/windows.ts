/**
 * The report's time ranges in the report's time zone, so consecutive reports tile time exactly
 * across daylight-saving changes (DESIGN.md "Windows"). A schedule fires at a local wall-clock
 * time (Monday 09:00 Europe/Berlin is 07:00Z in summer and 08:00Z in winter), so a window of
 * `scheduledTime − 7 × 24 h` loses an hour in autumn and repeats one in spring. Here every
 * range is counted in local days:
 * - `calendar` (default): the `windowDays` full local days before the local day the schedule
 *   fires on (a Monday 09:00 run reports Monday 00:00 to Monday 00:00 local);
 * - `rolling`: `[end − windowDays local days, end)`, the same wall-clock time N days back.
 * The previous window and the baseline are the local days before the window's start.
 * Pure: Intl is the only source of zone rules; no clock.
 */
import { DAY_MS, type TimeRange, type WallClock, wallClock } from './time';

export type WindowMode = 'calendar' | 'rolling';
export const WINDOW_MODES: readonly WindowMode[] = ['calendar', 'rolling'];

function sameWall(a: WallClock, b: WallClock): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a local wall-clock time names in `timeZone`, resolved as Temporal's "compatible"
 * disambiguation does: a time that occurs twice (autumn) is its earlier instant; a time that
 * does not exist (spring gap) moves forward by the gap (02:30 → 03:30).
 */
export function zonedInstant(wall: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // The offsets a day before and after cover both sides of any transition near this time.
  const before = offsetAt(asUtc - DAY_MS, timeZone);
  const after = offsetAt(asUtc + DAY_MS, timeZone);
  const candidates = [asUtc - before, asUtc - after]
    .filter((ms) => sameWall(wallClock(ms, timeZone), wall))
    .sort((a, b) => a - b);
  return candidates[0] ?? asUtc - before;
}

/** The first instant of the local calendar day that is `days` days after the one containing `ms`. */
export function startOfLocalDay(ms: number, timeZone: string, days = 0): number {
  const w = wallClock(ms, timeZone);
  const date = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return zonedInstant(
    {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: 0,
      minute: 0,
      second: 0,
    },
    timeZone,
  );
}

/** The same local wall-clock time `days` local days from `ms` (negative: back). Whole seconds kept, ms too. */
export function addLocalDays(ms: number, days: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const date = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  const millis = ((ms % 1000) + 1000) % 1000;
  return (
    zonedInstant(
      {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: w.hour,
        minute: w.minute,
        second: w.second,
      },
      timeZone,
    ) + millis
  );
}

/** The report window of a run that fires at `end` (the schedule's scheduled time, or now). */
export function reportWindow(end: number, timeZone: string, windowDays: number, mode: WindowMode): TimeRange {
  if (mode === 'rolling') return { from: addLocalDays(end, -windowDays, timeZone), to: end };
  const to = startOfLocalDay(end, timeZone);
  return { from: startOfLocalDay(to, timeZone, -windowDays), to };
}

/**
 * The `days` local days before `range` start; with `days` undefined, a range as long as `range`
 * itself in milliseconds (a CLI window of any length).
 */
export function rangeBefore(range: TimeRange, timeZone: string, days?: number): TimeRange {
  if (days === undefined) return { from: range.from - (range.to - range.from), to: range.from };
  return { from: addLocalDays(range.from, -days, timeZone), to: range.from };
}
