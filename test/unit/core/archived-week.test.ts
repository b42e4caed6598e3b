/**
 * Archived weeks: folding a week's archived aggregate into a baseline gives exactly the baseline
 * its raw events give (any week split, malformed and undated events included), the encoded form
 * round-trips, and every kind of damage is refused with the reason.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import {
  ArchivedWeekError,
  addArchivedWeek,
  archivedWeek,
  decodeArchivedWeek,
  encodeArchivedWeek,
} from '../../../functions/weekly-report/core/archived-week';
import { normalizeEvent } from '../../../functions/weekly-report/core/normalize';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { generateEvents, type RawAuditEvent } from '../../support/generator';

const DAY = 86_400_000;
const END = Date.parse('2026-11-23T00:00:00Z');
/** Four weeks before END: the baseline of the week ending END. */
const WEEKS = [4, 3, 2, 1].map((k) => ({ from: END - k * 7 * DAY, to: END - (k - 1) * 7 * DAY }));
const BASELINE = { from: END - 28 * DAY, to: END };
const PREVIOUS = WEEKS[3] as { from: number; to: number };
const EVENTS: readonly RawAuditEvent[] = [
  ...generateEvents({
    seed: 12,
    from: new Date(BASELINE.from),
    to: new Date(BASELINE.to),
    count: 4000,
    malformedRate: 0.03,
    nonMcpRate: 0.05,
    hostileRate: 0.02,
    // Actions through the MCP server and Datadog AI agents' events: a person's baseline counts them as theirs.
    aiActivityRate: 0.1,
  }),
];

/**
 * The events a fetch of `range` returns: those whose time lies in it. An event without any usable
 * time still comes back from exactly one fetch (Datadog files it somewhere); here, by its index.
 */
function eventsIn(range: { from: number; to: number }): RawAuditEvent[] {
  return EVENTS.filter((e, i) => {
    const t = normalizeEvent(e).time;
    const at = Number.isFinite(t) ? t : (WEEKS[i % 4]?.from ?? 0);
    return at >= range.from && at < range.to;
  });
}

function windowOf(range: { from: number; to: number }): WindowAggregate {
  const w = new WindowAggregate({ range });
  for (const e of eventsIn(range)) w.add(e);
  return w;
}

function rawBaseline(): BaselineAggregate {
  const b = new BaselineAggregate(PREVIOUS, { range: BASELINE });
  for (const e of eventsIn(BASELINE)) b.add(e);
  return b;
}

/** What the summary reads of a baseline. */
function view(b: BaselineAggregate) {
  return {
    total: b.total,
    previousTotal: b.previousTotal,
    aiTotal: b.aiTotal,
    previousAi: b.previousAi,
    previousAutonomous: b.previousAutonomous,
    minTime: b.minTime,
    maxTime: b.maxTime,
    people: [...b.people]
      .map(([k, p]) => [k, p.calls, p.previousCalls, p.events, [...p.resourceTypes].sort(), [...p.countries].sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  };
}

describe('archived weeks as baseline', () => {
  it('gives exactly the baseline of the raw events, whichever weeks come from the archive (property)', () => {
    const window = windowOf({ from: END, to: END + 7 * DAY });
    const settings = reportSettings({
      org: 'Acme',
      window: { from: END, to: END + 7 * DAY },
      baselineWindow: BASELINE,
    });
    const expected = rawBaseline();
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (fromArchive) => {
        // Weeks marked true come from their archived (encoded, decoded) aggregate; the others are "fetched".
        const baseline = new BaselineAggregate(PREVIOUS, { range: BASELINE });
        for (const [i, week] of WEEKS.entries()) {
          if (fromArchive[i]) {
            const archived = decodeArchivedWeek(encodeArchivedWeek(archivedWeek('Acme', windowOf(week), week)));
            addArchivedWeek(baseline, archived);
          } else {
            const part = new BaselineAggregate(PREVIOUS, { range: week });
            for (const e of eventsIn(week)) part.add(e);
            baseline.merge(part);
          }
        }
        expect(view(baseline)).toEqual(view(expected));
        expect(summarize(windowOf({ from: END, to: END + 7 * DAY }), baseline, settings)).toEqual(
          summarize(window, expected, settings),
        );
      }),
      { numRuns: 16 },
    );
  });

  it('gives the baseline of the raw events for a report of the seed query alone (activity mcp) too', () => {
    const mcpWindow = (range: { from: number; to: number }) => {
      const w = new WindowAggregate({ range, activity: 'mcp' });
      for (const e of eventsIn(range)) w.add(e);
      return w;
    };
    const expected = new BaselineAggregate(PREVIOUS, { range: BASELINE, activity: 'mcp' });
    for (const e of eventsIn(BASELINE)) expected.add(e);
    const baseline = new BaselineAggregate(PREVIOUS, { range: BASELINE, activity: 'mcp' });
    for (const week of WEEKS) {
      const archived = decodeArchivedWeek(encodeArchivedWeek(archivedWeek('Acme', mcpWindow(week), week)));
      expect(archived.activity).toBe('mcp');
      expect(archived.ai).toBeUndefined();
      addArchivedWeek(baseline, archived);
    }
    expect(view(baseline)).toEqual(view(expected));
  });

  it('refuses a week read with another activity than the baseline counts', () => {
    const week = WEEKS[0] as { from: number; to: number };
    const mcpWeek = new WindowAggregate({ range: week, activity: 'mcp' });
    for (const e of eventsIn(week)) mcpWeek.add(e);
    expect(() => addArchivedWeek(new BaselineAggregate(PREVIOUS), archivedWeek('Acme', mcpWeek, week))).toThrow(
      /activity mcp .* activity all/,
    );
  });

  it('refuses a week that straddles the previous-week range', () => {
    const straddling = archivedWeek('Acme', windowOf({ from: END - 10 * DAY, to: END - 3 * DAY }), {
      from: END - 10 * DAY,
      to: END - 3 * DAY,
    });
    expect(() => addArchivedWeek(new BaselineAggregate(PREVIOUS), straddling)).toThrow(/straddles/);
  });
});

/** `doc` with its checksum made right again (what a careful hand-edit or another writer would leave). */
function resealed(doc: Record<string, unknown>): string {
  const { kind, schema, checksum: _old, ...content } = doc;
  const checksum = `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
  return JSON.stringify({ kind, schema, checksum, ...content });
}

describe('encoded archived weeks', () => {
  const week = archivedWeek('Acme', windowOf(WEEKS[0]!), WEEKS[0]!);
  const teamWeek = archivedWeek('Acme', windowOf(WEEKS[0]!), WEEKS[0]!, `sha256:${'ab'.repeat(32)}`);

  it('round-trips, with its schema, membership and checksum', () => {
    const text = encodeArchivedWeek(week);
    expect(JSON.parse(text)).toMatchObject({
      kind: 'ai-activity-audit.week-aggregate',
      schema: 2,
      membership: null,
      activity: 'all',
    });
    expect(JSON.parse(text).checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decodeArchivedWeek(text)).toEqual(week);
    expect(decodeArchivedWeek(encodeArchivedWeek(teamWeek))).toEqual(teamWeek);
    expect(decodeArchivedWeek(encodeArchivedWeek(teamWeek)).membership).toBe(`sha256:${'ab'.repeat(32)}`);
  });

  it('reads a schema-1 week (before the other kinds of AI activity and memberships) as activity mcp, membership not recorded', () => {
    // Prepare: a schema-1 document as the version before wrote it (no activity, no events per person, no membership)
    const mcpWeek = new WindowAggregate({ range: WEEKS[0]!, activity: 'mcp' });
    for (const e of eventsIn(WEEKS[0]!)) mcpWeek.add(e);
    const current = JSON.parse(encodeArchivedWeek(archivedWeek('Acme', mcpWeek, WEEKS[0]!)));
    const { kind, checksum: _checksum, schema: _schema, activity: _activity, membership: _m, ...content } = current;
    content.data.people = content.data.people.map(([key, p]: [string, Record<string, unknown>]) => {
      const { events: _events, ...rest } = p;
      return [key, rest];
    });
    const checksum = `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
    const v1 = JSON.stringify({ kind, schema: 1, checksum, ...content });

    // Act
    const week = decodeArchivedWeek(v1);

    // Assess
    expect(week.activity).toBe('mcp');
    expect(week.membership).toBeUndefined();
    expect(week.people.every(([, p]) => p.events === p.calls)).toBe(true);
    expect({ ...week, activity: undefined, membership: null }).toEqual({
      ...archivedWeek('Acme', mcpWeek, WEEKS[0]!),
      activity: undefined,
    });
  });

  it.each([
    ['not JSON', (t: string) => t.slice(0, 20), /not JSON/],
    ['another kind', (t: string) => t.replace('week-aggregate', 'something'), /not an archived week/],
    ['an unknown schema', (t: string) => t.replace('"schema":2', '"schema":3'), /unknown schema version 3/],
    [
      'a changed count',
      (t: string) => t.replace(/"total":(\d+)/, (_m, n) => `"total":${Number(n) + 1}`),
      /checksum mismatch/,
    ],
    [
      'a string total',
      (t: string) => resealed({ ...JSON.parse(t), data: { ...JSON.parse(t).data, total: 'lots' } }),
      /data\.total is not a whole number/,
    ],
    [
      'a fractional count',
      (t: string) => resealed({ ...JSON.parse(t), data: { ...JSON.parse(t).data, undated: 1.5 } }),
      /data\.undated is not a whole number/,
    ],
    [
      'people as an object',
      (t: string) => resealed({ ...JSON.parse(t), data: { ...JSON.parse(t).data, people: {} } }),
      /data\.people is not a list/,
    ],
    [
      'a person with a string of resource types',
      (t: string) => {
        const doc = JSON.parse(t);
        doc.data.people[0][1].resourceTypes = 'monitor';
        return resealed(doc);
      },
      /data\.people\[0\] is not a person's figures/,
    ],
    [
      'a numeric membership',
      (t: string) => resealed({ ...JSON.parse(t), membership: 7 }),
      /membership is not a fingerprint/,
    ],
    [
      'a window backwards',
      (t: string) =>
        resealed({ ...JSON.parse(t), window: { from: '2026-11-02T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' } }),
      /window is not a range/,
    ],
    [
      'complete as text',
      (t: string) => resealed({ ...JSON.parse(t), complete: 'yes' }),
      /complete is not true or false/,
    ],
  ])('refuses %s, naming the problem', (_name, damage, reason) => {
    const error = (() => {
      try {
        decodeArchivedWeek(damage(encodeArchivedWeek(week)));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ArchivedWeekError);
    expect((error as Error).message).toMatch(reason);
  });
});
