import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { dailyCalls, summarize } from '../../../functions/weekly-report/core/summarize';
import type { ReportSettings } from '../../../functions/weekly-report/core/types';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { formatTextReport } from '../../../functions/weekly-report/render/text-report';
import { auditEvent, person } from '../../support/audit-events';
import { generateEvents, generateScenario, type RawAuditEvent } from '../../support/generator';

const FROM = new Date('2026-11-16T09:00:00Z');
const TO = new Date('2026-11-23T09:00:00Z');
const settings = (over: Partial<ReportSettings> = {}) =>
  reportSettings({ org: 'Acme', window: { from: FROM.getTime(), to: TO.getTime() }, ...over });

function summaryOf(events: readonly unknown[], over: Partial<ReportSettings> = {}) {
  const w = new WindowAggregate();
  for (const e of events) w.add(e);
  return summarize(w, undefined, settings(over));
}

describe('summary against the seed', () => {
  it("matches the seed's jq program on its five keys for a seed-compatible week", async () => {
    // Prepare
    const events = [...generateEvents({ seed: 7, from: FROM, to: TO, count: 3000, seedCompatible: true })];
    const program = readFileSync(join(__dirname, '../../fixtures/seed/weekly-summary.jq'), 'utf8');
    const jq = await (require('jq-web') as Promise<{ json(input: unknown, filter: string): unknown }>);
    // Act
    const expected = jq.json({ data: events }, program);
    const s = summaryOf(events);
    // Assess
    expect({
      total_tool_calls: s.total_tool_calls,
      unique_users: s.unique_users,
      top_users: s.top_users,
      actions_breakdown: s.actions_breakdown,
      resource_types: s.resource_types,
    }).toEqual(expected);
  });
});

describe('summary lists', () => {
  it('sorts by count descending, ties by name ascending in code-point order, top 5 users', () => {
    const names = ['zoe', 'amy', 'bob', '𝒜stral', 'ｆullwidth', 'carl', 'dan'];
    const events = names.flatMap((n, i) =>
      Array.from({ length: i < 2 ? 3 : 2 }, (_, k) =>
        auditEvent({ at: FROM.getTime() + k, user: { id: n, email: `${n}@x.io` } }),
      ),
    );
    const s = summaryOf(events);
    expect(s.top_users.map((u) => u.user)).toEqual(['amy@x.io', 'zoe@x.io', 'bob@x.io', 'carl@x.io', 'dan@x.io']);
    expect(s.unique_users).toBe(7);
    // U+FF46 (fullwidth f) sorts before U+1D49C (astral A) by code point, though not by UTF-16 unit.
    const all = summaryOf(events, { topUsers: 10 }).top_users.map((u) => u.user);
    expect(all.indexOf('ｆullwidth@x.io')).toBeLessThan(all.indexOf('𝒜stral@x.io'));
  });

  it('counts missing actions and resource types as (unknown), never dropping an event', () => {
    const s = summaryOf([null, 'garbage', auditEvent({ at: FROM.getTime() })]);
    expect(s.total_tool_calls).toBe(3);
    expect(s.malformed_events).toBe(2);
    expect(s.actions_breakdown).toEqual([
      { action: '(unknown)', count: 2 },
      { action: 'accessed', count: 1 },
    ]);
    expect(s.complete).toBe(true);
  });

  it('keeps the newest 200 changes and counts them all', () => {
    const events = Array.from({ length: 450 }, (_, i) =>
      auditEvent({ at: FROM.getTime() + i * 1000, action: i % 2 ? 'modified' : 'created', id: `r${i}` }),
    );
    const s = summaryOf(events);
    expect(s.changes.total).toBe(450);
    expect(s.changes.items).toHaveLength(200);
    expect(s.changes.items[0]!.resource_id).toBe('r449');
  });

  it('gives week-over-week figures from the last window of the baseline', () => {
    const w = new WindowAggregate();
    w.add(auditEvent({ at: FROM.getTime(), user: person('ana') }));
    const b = new BaselineAggregate({ from: FROM.getTime() - 7 * 86_400_000, to: FROM.getTime() });
    b.add(auditEvent({ at: FROM.getTime() - 1000, user: person('ana') }));
    b.add(auditEvent({ at: FROM.getTime() - 2000, user: person('bob') }));
    b.add(auditEvent({ at: FROM.getTime() - 10 * 86_400_000, user: person('cat') }));
    const s = summarize(
      w,
      b,
      settings({
        baselineWindow: { from: FROM.getTime() - 28 * 86_400_000, to: FROM.getTime() },
      }),
    );
    expect(s.previous_window).toEqual({ total_tool_calls: 2, unique_users: 2 });
    expect(s.baseline).toEqual({ from: '2026-10-19T09:00:00.000Z', to: FROM.toISOString(), events: 3 });
    expect(s.warnings.join(' ')).toMatch(/covers only 10 of 28 days/);
    expect(formatTextReport(s)).toContain(
      'Total MCP tool calls: 1\n  Change vs previous window: -1 (-50%; previous 2)\n',
    );
  });

  it('is incomplete, with the reasons, when a partial says so', () => {
    const w = new WindowAggregate();
    w.markIncomplete('Datadog returned status timeout');
    const s = summarize(w, undefined, settings());
    expect(s.complete).toBe(false);
    expect(s.warnings).toContain('Datadog returned status timeout');
  });
});

describe('daily_calls', () => {
  const hour = 3_600_000;
  it('uses calendar days of the configured zone, zero days included', () => {
    const from = Date.parse('2026-11-16T00:00:00Z');
    const buckets = new Map<number, number>([
      [Math.floor((from + 1 * hour) / 900_000), 5], // 01:00Z = Nov 15 17:00 in Los Angeles
      [Math.floor((from + 9 * hour) / 900_000), 2], // 09:00Z = Nov 16 01:00 in Los Angeles
    ]);
    expect(dailyCalls(buckets, from, from + 2 * 86_400_000, 'UTC')).toEqual([
      { date: '2026-11-16', calls: 7 },
      { date: '2026-11-17', calls: 0 },
    ]);
    expect(dailyCalls(buckets, from, from + 2 * 86_400_000, 'America/Los_Angeles')).toEqual([
      { date: '2026-11-15', calls: 5 },
      { date: '2026-11-16', calls: 2 },
      { date: '2026-11-17', calls: 0 },
    ]);
  });

  it('splits days at a quarter-hour zone offset (Asia/Kathmandu, +05:45)', () => {
    const midnightKathmandu = Date.parse('2026-11-16T18:15:00Z'); // 2026-11-17 00:00 local
    const buckets = new Map<number, number>([
      [Math.floor((midnightKathmandu - 900_000) / 900_000), 1],
      [Math.floor(midnightKathmandu / 900_000), 1],
    ]);
    expect(dailyCalls(buckets, midnightKathmandu - hour, midnightKathmandu + hour, 'Asia/Kathmandu')).toEqual([
      { date: '2026-11-16', calls: 1 },
      { date: '2026-11-17', calls: 1 },
    ]);
  });

  it('handles a daylight-saving change inside the window (America/New_York, 2026-11-01)', () => {
    const from = Date.parse('2026-10-31T04:00:00Z'); // Oct 31 00:00 EDT
    // 72 hours later is Nov 2 23:00 EST: Nov 1 has 25 hours, so three days, not four.
    const lastHour = Math.floor((from + 3 * 86_400_000 - 1) / 900_000);
    const days = dailyCalls(new Map([[lastHour, 4]]), from, from + 3 * 86_400_000, 'America/New_York');
    expect(days).toEqual([
      { date: '2026-10-31', calls: 0 },
      { date: '2026-11-01', calls: 0 },
      { date: '2026-11-02', calls: 4 },
    ]);
  });
});

describe('merging partials', () => {
  const scenario = generateScenario({ seed: 11, end: TO });
  const noisy = [
    ...generateEvents({ seed: 3, from: FROM, to: TO, count: 1500, hostileRate: 0.05, malformedRate: 0.03 }),
  ];
  const windowEvents: RawAuditEvent[] = [...scenario.window, ...noisy];
  const one = (events: readonly unknown[]) => {
    const w = new WindowAggregate({ changesLimit: 20 });
    for (const e of events) w.add(e);
    return w;
  };
  const baselineOf = (events: readonly unknown[]) => {
    const b = new BaselineAggregate({ from: FROM.getTime() - 7 * 86_400_000, to: FROM.getTime() });
    for (const e of events) b.add(e);
    return b;
  };
  const finalize = (w: WindowAggregate, b: BaselineAggregate) =>
    JSON.stringify(summarize(w, b, settings({ changesLimit: 20 })));
  const expected = finalize(one(windowEvents), baselineOf(scenario.baseline));

  it('gives the same summary for any slicing, merge order and grouping (property test)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(windowEvents.length), { maxLength: 12 }),
        fc.array(fc.nat(scenario.baseline.length), { maxLength: 6 }),
        fc.boolean(),
        (cuts, baseCuts, rightFold) => {
          const slice = <T>(all: readonly T[], at: number[]): T[][] => {
            const points = [0, ...[...new Set(at)].sort((a, b) => a - b), all.length];
            return points.slice(1).map((p, i) => all.slice(points[i], p));
          };
          const parts = slice(windowEvents, cuts).map(one);
          const merged = rightFold
            ? parts.reduceRight((acc, p) => p.merge(acc))
            : parts.reduce((acc, p) => acc.merge(p));
          const baseParts = slice(scenario.baseline, baseCuts).map(baselineOf);
          const baseline = baseParts.reduce((acc, p) => acc.merge(p));
          expect(finalize(merged, baseline)).toBe(expected);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it('gives the same summary when events are shuffled across slices (slices are not time-ordered)', () => {
    const odd = one(windowEvents.filter((_, i) => i % 2));
    const even = one(windowEvents.filter((_, i) => i % 2 === 0));
    expect(finalize(even.merge(odd), baselineOf(scenario.baseline))).toBe(expected);
  });

  it('flags every anomaly kind in the generated scenario', () => {
    const s = JSON.parse(expected);
    for (const kind of [
      'destructive_action',
      'support_user',
      'first_time_user',
      'high_volume',
      'out_of_scope',
      'new_country',
      'autonomous_change',
    ]) {
      expect(s.anomaly_counts[kind]).toBeGreaterThan(0);
    }
  });
});
