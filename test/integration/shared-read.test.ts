/**
 * The shared read (pipeline/read.ts) over the real Datadog audit source and metric source against
 * the audit API emulator on 127.0.0.1: the window and baseline summarize like the events
 * themselves; a team's share whose members arrive while the read runs (a DeferredShare) counts
 * exactly its people's calls, as a read that knew them from the start would; a share whose team
 * could not be read gets nothing and leaves the others untouched.
 */
import { createDatadogAuditSource } from '../../functions/weekly-report/adapters/datadog/audit-source';
import { createDatadogMetricsSource } from '../../functions/weekly-report/adapters/datadog/metrics-source';
import { BaselineAggregate, WindowAggregate } from '../../functions/weekly-report/core/aggregate';
import { DeferredShare } from '../../functions/weekly-report/core/fan-out';
import { AI_ACTIVITY_QUERY } from '../../functions/weekly-report/core/links';
import { personScope, scopeShare, WHOLE_ORG } from '../../functions/weekly-report/core/scope';
import { summarize } from '../../functions/weekly-report/core/summarize';
import { reportSettings } from '../../functions/weekly-report/core/types';
import { readShares } from '../../functions/weekly-report/pipeline/read';
import { type DatadogEmulator, parseQuery, startDatadogEmulator } from '../support/datadog-emulator';
import { generateScenario, type RawAuditEvent } from '../support/generator';

const DAY = 86_400_000;
const END = new Date('2026-11-23T09:00:00.000Z').getTime();
const WINDOW = { from: END - 7 * DAY, to: END };

function inner(e: RawAuditEvent): { evt?: { name?: unknown }; usr?: { id?: unknown; email?: unknown } } {
  return (e as { attributes?: { attributes?: Record<string, never> } }).attributes?.attributes ?? {};
}
/** What the read's query finds (every kind of AI activity, the default `activity: all`), as Datadog reads it. */
const isMcp = parseQuery(AI_ACTIVITY_QUERY);

describe('readShares', () => {
  const scenario = generateScenario({ seed: 41, end: new Date(END) });
  let emulator: DatadogEmulator;
  const source = () =>
    createDatadogAuditSource({ apiKey: emulator.apiKey, appKey: emulator.appKey, baseUrl: emulator.url });

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window] });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('reads the window and the baseline and summarizes them like the events themselves', async () => {
    // Prepare
    const settings = reportSettings({
      org: 'Acme',
      window: WINDOW,
      baselineWindow: { from: WINDOW.from - 28 * DAY, to: WINDOW.from },
    });
    const usage = createDatadogMetricsSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
    });

    // Act
    const [data] = await readShares(
      source(),
      { window: WINDOW, timezone: 'UTC', windowDays: 7, baselineDays: 28, usage },
      [{ share: WHOLE_ORG }],
    );

    // Assess
    const window = new WindowAggregate();
    for (const e of scenario.window.filter(isMcp)) window.add(e);
    const baseline = new BaselineAggregate({ from: WINDOW.from - 7 * DAY, to: WINDOW.from });
    for (const e of scenario.baseline.filter(isMcp)) baseline.add(e);
    expect(data?.baselineRange).toEqual({ from: WINDOW.from - 28 * DAY, to: WINDOW.from });
    expect(data?.usage?.window.status).toBe('ok');
    const summary = summarize(data!.window, data!.baseline, settings, data!.usage);
    expect(summary).toEqual(summarize(window, baseline, settings, data!.usage));
    // Every kind, new_client (the metric's) included, has its planted case.
    expect(Object.values(summary.anomaly_counts).every((n) => typeof n === 'number' && n > 0)).toBe(true);
  });

  it('skips the baseline when baselineDays is 0', async () => {
    // Act
    const [data] = await readShares(source(), { window: WINDOW, timezone: 'UTC', windowDays: 7, baselineDays: 0 }, [
      { share: WHOLE_ORG },
    ]);

    // Assess
    expect(data?.baseline).toBeUndefined();
    expect(data?.window.events).toBe(scenario.window.filter(isMcp).length);
  });

  it('gives a team whose members arrive during the read exactly its people’s calls, and a failed team nothing', async () => {
    // Prepare: two people of the scenario make the team; their members are "read" while the audit read runs.
    const people = [...new Set(scenario.window.filter(isMcp).map((e) => String(inner(e).usr?.email)))].slice(0, 2);
    const team = scopeShare(
      personScope(
        'team sre',
        people.map((email) => ({ email })),
      ),
    );
    const late = new DeferredShare();
    const failing = new DeferredShare();
    const settled = new Promise<void>((resolve) =>
      setTimeout(() => {
        late.settle(team);
        failing.fail(new Error('the Teams API did not answer'));
        resolve();
      }, 150),
    );

    // Act
    const [org, deferred, failed, known] = await readShares(
      source(),
      { window: WINDOW, timezone: 'UTC', windowDays: 7, baselineDays: 28, sharesSettled: settled },
      [{ share: WHOLE_ORG }, { share: late }, { share: failing }, { share: team }],
    );

    // Assess: the deferred share equals the share known from the start, to the summary.
    const settings = reportSettings({ org: 'Acme', window: WINDOW });
    expect(known?.window.events).toBeGreaterThan(0);
    expect(summarize(deferred!.window, deferred!.baseline, settings)).toEqual(
      summarize(known!.window, known!.baseline, settings),
    );
    expect(failed?.window.events).toBe(0);
    expect(failed?.baseline?.events).toBe(0);
    expect(org?.window.events).toBe(scenario.window.filter(isMcp).length);
    expect(deferred!.window.events).toBeLessThan(org!.window.events);
  });

  it('fails a deferred share that would hold too many calls, and keeps the read going', async () => {
    // Prepare: a share that may hold only 10 calls, whose people are never known while the read runs.
    const tight = new DeferredShare(10);
    const givenUp = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (!tight.pending) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });

    // Act
    const [org, held] = await readShares(
      source(),
      {
        window: WINDOW,
        timezone: 'UTC',
        windowDays: 7,
        baselineDays: 0,
        sharesSettled: givenUp,
      },
      [{ share: WHOLE_ORG }, { share: tight }],
    );

    // Assess
    expect(tight.error?.message).toMatch(/not known before 10 calls/);
    expect(held?.window.events).toBe(0);
    expect(org?.window.events).toBe(scenario.window.filter(isMcp).length);
  });
});
