/**
 * Report windows in local days: consecutive weekly reports tile time exactly across both 2026
 * daylight-saving changes, calendar and rolling, and local wall-clock arithmetic resolves the
 * times a transition skips or repeats the way Temporal's "compatible" mode does.
 */
import fc from 'fast-check';
import { localDate, wallClock } from '../../../functions/weekly-report/core/time';
import {
  addLocalDays,
  rangeBefore,
  reportWindow,
  startOfLocalDay,
  zonedInstant,
} from '../../../functions/weekly-report/core/windows';

const DAY = 86_400_000;

/** Monday 09:00 local, every week from `firstMonday` (YYYY-MM-DD), as the schedule fires. */
function mondays(firstMonday: string, weeks: number, timeZone: string): number[] {
  const [y, m, d] = firstMonday.split('-').map(Number) as [number, number, number];
  return Array.from({ length: weeks }, (_, i) => {
    const date = new Date(Date.UTC(y, m - 1, d + 7 * i));
    return zonedInstant(
      {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: 9,
        minute: 0,
        second: 0,
      },
      timeZone,
    );
  });
}

describe('zonedInstant', () => {
  it('moves a time skipped in spring forward by the gap, and takes the earlier of a repeated autumn time', () => {
    // Act
    const skipped = zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin');
    const repeated = zonedInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin');

    // Assess
    expect(new Date(skipped).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(new Date(repeated).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // the first 02:30, CEST
  });

  it('finds the first instant of a day whose midnight does not exist', () => {
    // Prepare: Chile moves clocks from 00:00 to 01:00 on 2026-09-06.
    const noon = Date.parse('2026-09-06T16:00:00Z');

    // Act
    const start = startOfLocalDay(noon, 'America/Santiago');

    // Assess
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(start - 1, 'America/Santiago')).toBe('2026-09-05');
    expect(wallClock(start, 'America/Santiago').hour).toBe(1);
  });
});

describe('reportWindow', () => {
  const cases: Array<[zone: string, firstMonday: string, weeks: number]> = [
    ['Europe/Berlin', '2026-03-09', 6],
    ['Europe/Berlin', '2026-10-05', 6],
    ['America/New_York', '2026-02-23', 5],
    ['America/New_York', '2026-10-19', 5],
  ];

  it.each(cases)('calendar weeks tile time exactly across DST in %s from %s', (zone, firstMonday, weeks) => {
    // Prepare
    const runs = mondays(firstMonday, weeks, zone);

    // Act
    const windows = runs.map((end) => reportWindow(end, zone, 7, 'calendar'));

    // Assess
    for (const [i, w] of windows.entries()) {
      expect(localDate(w.from, zone)).toBe(localDate(runs[i]! - 7 * DAY + DAY / 2, zone));
      expect(wallClock(w.from, zone)).toMatchObject({ hour: 0, minute: 0, second: 0 });
      expect(wallClock(w.to, zone)).toMatchObject({ hour: 0, minute: 0, second: 0 });
      expect(localDate(w.to, zone)).toBe(localDate(runs[i]!, zone));
      if (i > 0) expect(w.from).toBe(windows[i - 1]!.to);
    }
    // A DST week is 167 or 169 hours long, never 168 h shifted.
    const lengths = new Set(windows.map((w) => (w.to - w.from) / 3_600_000));
    expect([...lengths].every((h) => h === 167 || h === 168 || h === 169)).toBe(true);
    expect(lengths.size).toBe(2);
  });

  it('puts the event of 2026-10-19T07:30Z in exactly one Berlin report (it fell in neither with 7 × 24 h)', () => {
    // Prepare
    const runs = mondays('2026-10-12', 3, 'Europe/Berlin');
    const event = Date.parse('2026-10-19T07:30:00Z');

    // Act
    const calendar = runs.map((end) => reportWindow(end, 'Europe/Berlin', 7, 'calendar'));
    const rolling = runs.map((end) => reportWindow(end, 'Europe/Berlin', 7, 'rolling'));
    const naive = runs.map((end) => ({ from: end - 7 * DAY, to: end }));

    // Assess
    const holding = (ws: Array<{ from: number; to: number }>) =>
      ws.filter((w) => event >= w.from && event < w.to).length;
    expect(holding(calendar)).toBe(1);
    expect(holding(rolling)).toBe(1);
    expect(holding(naive)).toBe(0);
  });

  it.each(cases)(
    'rolling windows end at the scheduled time and tile across DST in %s from %s',
    (zone, firstMonday, weeks) => {
      // Prepare
      const runs = mondays(firstMonday, weeks, zone);

      // Act
      const windows = runs.map((end) => reportWindow(end, zone, 7, 'rolling'));

      // Assess
      for (const [i, w] of windows.entries()) {
        expect(w.to).toBe(runs[i]);
        expect(wallClock(w.from, zone)).toMatchObject({ hour: 9, minute: 0 });
        if (i > 0) expect(w.from).toBe(windows[i - 1]!.to);
      }
    },
  );

  it('tiles any weekly schedule in any zone (property)', () => {
    const zones = [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Australia/Sydney',
      'Asia/Kathmandu',
      'America/Santiago',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.constantFrom('calendar' as const, 'rolling' as const),
        fc.integer({ min: 1, max: 14 }),
        (zone, start, mode, days) => {
          const first = Math.floor(start / 1000) * 1000;
          const second = addLocalDays(first, days, zone);
          const a = reportWindow(first, zone, days, mode);
          const b = reportWindow(second, zone, days, mode);
          // (A rolling schedule inside an hour that a spring change skips fires an hour late and cannot tile;
          // random instants almost never land there. Calendar windows tile always.)
          return b.from === a.to && a.from < a.to;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rangeBefore', () => {
  it('counts baseline days in local days, so the baseline ends where the window starts across DST', () => {
    // Prepare
    const window = reportWindow(Date.parse('2026-11-02T08:00:00Z'), 'Europe/Berlin', 7, 'calendar');

    // Act
    const baseline = rangeBefore(window, 'Europe/Berlin', 28);
    const previous = rangeBefore(window, 'Europe/Berlin', 7);

    // Assess
    expect(baseline.to).toBe(window.from);
    expect(new Date(baseline.from).toISOString()).toBe('2026-09-27T22:00:00.000Z'); // 00:00 CEST
    expect(new Date(previous.from).toISOString()).toBe('2026-10-18T22:00:00.000Z');
    expect(rangeBefore({ from: 1000, to: 4000 }, 'UTC')).toEqual({ from: -2000, to: 1000 });
  });
});
