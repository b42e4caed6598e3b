/**
 * The fan-out (core/fan-out.ts): one read feeding several reports' aggregates. A read hands every
 * slice the same fan-out (FanOut.sink), so calls reach an aggregate in whatever order the slices'
 * pages arrive: that is right only because an aggregate's summary does not depend on arrival
 * order, which these tests hold the aggregates to.
 */
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { DeferredShare, FanOut } from '../../../functions/weekly-report/core/fan-out';
import { normalizeEvent } from '../../../functions/weekly-report/core/normalize';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { generateScenario, outerTime, type RawAuditEvent } from '../../support/generator';

const DAY = 86_400_000;
const END = new Date('2026-11-23T00:00:00.000Z');
const WINDOW = { from: END.getTime() - 7 * DAY, to: END.getTime() };
const scenario = generateScenario({ seed: 11, end: END, weekEvents: 1500, people: 20 });

/** A deterministic shuffle (a linear congruential generator seeded by `seed`). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function summaryOf(window: readonly RawAuditEvent[], baseline: readonly RawAuditEvent[]) {
  const w = new WindowAggregate({ range: WINDOW });
  for (const e of window) w.add(e);
  const b = new BaselineAggregate({ from: WINDOW.from - 7 * DAY, to: WINDOW.from });
  for (const e of baseline) b.add(e);
  return summarize(w, b, reportSettings({ org: 'Acme', window: WINDOW }));
}

describe('aggregates take calls in any order', () => {
  it('summarize the same whatever order the calls arrive in', () => {
    // Prepare
    const inOrder = [...scenario.window].sort((a, b) => outerTime(a) - outerTime(b));

    // Act
    const expected = summaryOf(inOrder, scenario.baseline);
    const orders = [1, 2, 3].map((seed) => summaryOf(shuffled(inOrder, seed), shuffled(scenario.baseline, seed + 10)));

    // Assess
    for (const summary of orders) expect(summary).toEqual(expected);
    expect(expected.total_tool_calls).toBeGreaterThan(1000);
  });
});

describe('FanOut', () => {
  it('gives every sink of one fan-out the same aggregates: merging sinks adds nothing twice', () => {
    // Prepare
    const fan = new FanOut([{}], () => new WindowAggregate({ range: WINDOW }));
    const [a, b] = [fan.sink(), fan.sink()];

    // Act
    for (const [i, e] of scenario.window.entries()) (i % 2 === 0 ? a : b).addRecord(normalizeEvent(e));
    a.merge(b);

    // Assess
    const direct = new WindowAggregate({ range: WINDOW });
    for (const e of scenario.window) direct.add(e);
    expect(fan.aggregates[0]?.total).toBe(direct.total);
  });

  it('holds a deferred share’s calls until it is settled, then gives it exactly what a known share gets', () => {
    // Prepare
    const first = normalizeEvent(scenario.window[0]).person;
    const onlyAna = { accepts: (r: { person: string }) => r.person === first };
    const deferred = new DeferredShare();
    const fan = new FanOut([onlyAna, deferred], () => new WindowAggregate({ range: WINDOW }));

    // Act
    for (const e of scenario.window) fan.add(e);
    deferred.settle(onlyAna);
    fan.settle();

    // Assess
    const settings = reportSettings({ org: 'Acme', window: WINDOW });
    expect(fan.aggregates[1]!.total).toBeGreaterThan(0);
    expect(summarize(fan.aggregates[1]!, undefined, settings)).toEqual(
      summarize(fan.aggregates[0]!, undefined, settings),
    );
  });
});
