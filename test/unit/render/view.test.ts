/**
 * The report's view (render/view/): built once from a summary, it holds every figure, date,
 * label, sentence and link the renderers show, in words and raw audit text: no markup, no medium's
 * escaping. The renderers reach it only through render/view/index.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportView, leftAfter, type ReportView } from '../../../functions/weekly-report/render/view';
import {
  countFlags,
  HOSTILE_VALUES,
  makeBusySummary,
  makeFlag,
  makeHostileSummary,
  makeSummary,
} from '../../support/summary-fixtures';

const RENDER = join(__dirname, '../../../functions/weekly-report/render');

/** Every string the view holds, the lazily worked-out ones (class getters) included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value !== 'object' || value === null) return [];
  const proto = Object.getPrototypeOf(value) as object;
  const getters =
    proto === Object.prototype
      ? []
      : Object.entries(Object.getOwnPropertyDescriptors(proto))
          .filter(([, d]) => d.get !== undefined)
          .map(([name]) => name);
  const record = value as Record<string, unknown>;
  return [...Object.keys(record), ...getters].flatMap((key) => strings(record[key]));
}

describe('buildReportView', () => {
  it('says whose report, which days in the report zone, and the gist from numbers', () => {
    // Prepare: a Berlin week, Monday 00:00 to Monday 00:00 local, of a scoped report
    const summary = { ...makeBusySummary(40), scope: { label: 'team sre' } };

    // Act
    const view = buildReportView(summary);

    // Assess
    expect(view.title).toBe('AI Activity Audit');
    expect(view.subtitle).toBe('Acme Corporation (team sre)');
    expect(view.gist).toBe('48,213 calls by 412 people, 40 anomalies (14 high)');
    expect(view.window).toEqual({
      firstDay: '2026-11-16',
      lastDay: '2026-11-22',
      days: '2026-11-16 to 2026-11-22',
      zone: 'Europe/Berlin',
      from: '2026-11-16 00:00',
      to: '2026-11-23 00:00',
      iso: { from: '2026-11-15T23:00:00.000Z', to: '2026-11-22T23:00:00.000Z' },
    });
    expect(view.complete).toBe(true);
    expect(view.partialMark).toBe('');
    expect(view.notice).toBeUndefined();
  });

  it('gives each headline figure its label, value, formatted value and delta', () => {
    // Act
    const { figures } = buildReportView(makeBusySummary(40));

    // Assess
    expect(figures.calls).toMatchObject({ label: 'Tool calls', value: 48_213, formatted: '48,213' });
    expect(figures.calls.delta).toMatchObject({
      direction: 'down',
      previous: 51_002,
      diff: -2_789,
      percent: '5%',
      percentPlain: '5%',
      change: '▼ −5% (−2,789)',
      short: '−5% vs previous week',
    });
    expect(figures.people.delta?.change).toBe('▲ +4% (+14)');
    expect(figures.anomalies).toEqual({ label: 'Anomalies', value: 40, formatted: '40' });
    expect(figures.changes).toEqual({ label: 'Resources changed', value: 8_000, formatted: '8,000' });
    expect(buildReportView(makeSummary({ previous_window: undefined })).figures.calls.delta).toBeUndefined();
  });

  it('sorts the anomalies into severities with colours, every rule with its count or why not, and flags', () => {
    // Prepare: no baseline, no usage metric
    const flags = [
      makeFlag({ kind: 'destructive_action', severity: 'high', user: 'ana@example.com' }, 0),
      makeFlag({ kind: 'high_volume', severity: 'medium', count: 143, action: '(multiple)' }, 1),
    ];
    const counts = {
      ...countFlags(flags),
      first_time_user: null,
      out_of_scope: null,
      new_country: null,
      new_client: null,
    };
    const summary = makeSummary({
      anomalies: flags,
      anomaly_counts: counts,
      tools: null,
      clients: null,
      tool_usage: undefined,
    });

    // Act
    const { anomalies } = buildReportView(summary);

    // Assess
    expect(anomalies.severities).toEqual([
      { severity: 'high', label: 'High', colour: 'red', count: 1, formatted: '1' },
      { severity: 'medium', label: 'Medium', colour: 'orange', count: 1, formatted: '1' },
      { severity: 'low', label: 'Low', colour: 'blue', count: 0, formatted: '0' },
    ]);
    expect(anomalies.kinds.map((k) => [k.kind, k.count, k.notEvaluated])).toEqual([
      ['destructive_action', 1, undefined],
      ['support_user', 0, undefined],
      ['first_time_user', null, 'no baseline'],
      ['high_volume', 1, undefined],
      ['out_of_scope', null, 'no baseline'],
      ['new_country', null, 'no baseline'],
      ['new_client', null, 'no usage metric'],
    ]);
    expect(anomalies.unevaluated).toEqual([
      { reason: 'no baseline', rules: 3 },
      { reason: 'no usage metric', rules: 1 },
    ]);
    const [deleted, burst] = anomalies.flags;
    expect(deleted).toMatchObject({
      kind: 'destructive_action',
      label: 'Destructive action',
      time: 'Tue 17 Nov 10:00',
      subject: ['ana@example.com', 'deleted', 'monitor', 'mon-1000'],
      calls: '',
    });
    expect(deleted?.link).toEqual({ url: flags[0]?.link, text: 'Destructive action by ana@example.com in Datadog' });
    expect(burst).toMatchObject({
      label: 'High volume',
      calls: '143 calls',
      subject: ['user1@example.com', 'monitor', 'mon-1001'],
    });
  });

  it('gives every flag a link text of its own, never a bare "View"', () => {
    // Act
    const { anomalies } = buildReportView(makeBusySummary(12));

    // Assess
    const texts = anomalies.flags.map((f) => f.link.text);
    expect(new Set(texts).size).toBe(texts.length);
    for (const text of texts) expect(text).toMatch(/^[A-Z][\w -]+ by \S+ in Datadog$/);
  });

  it('says partial data and its reasons, and notes on complete data', () => {
    // Act
    const partial = buildReportView(makeSummary({ complete: false, warnings: ['Slice 3 timed out'] }));
    const noted = buildReportView(makeSummary({ warnings: ['Baseline is 12 days, not 28'] }));

    // Assess
    expect(partial.partialMark).toBe(' [partial]');
    expect(partial.notice).toEqual({
      level: 'partial',
      title: 'Partial data',
      text: 'Some audit events could not be read, so the numbers below are a lower bound.',
      reasons: ['Slice 3 timed out'],
    });
    expect(noted.notice).toEqual({ level: 'note', title: 'Note', text: '', reasons: ['Baseline is 12 days, not 28'] });
  });

  it('holds the lists whole, with shares of all calls, for each medium to cut', () => {
    // Act
    const view = buildReportView(makeBusySummary(3));

    // Assess
    expect(view.resourceTypes.items).toHaveLength(14);
    expect(view.topUsers.items[0]).toEqual({
      name: 'ana.lopez-hernandez@engineering.example.com',
      count: 4_671,
      formatted: '4,671',
      share: '10%',
    });
    expect(view.topUsers.noun).toEqual({ one: 'person', many: 'people' });
    expect(leftAfter(view.resourceTypes.items, 8)).toEqual({
      count: 6,
      calls: 6 * 10_000 - 600 * (8 + 9 + 10 + 11 + 12 + 13),
    });
    expect(view.daily.peak).toMatchObject({ date: '2026-11-18', label: 'Wed 18 Nov', formatted: '9,901' });
    expect(view.daily.sparkline).toHaveLength(7);
    expect(view.changes.items[0]).toMatchObject({
      time: 'Sun 22 Nov 21:00',
      name: expect.stringMatching(/^Service 0/),
    });
    // The fixture's baseline ends at midnight UTC, 01:00 in Berlin: its last day there is the 16th.
    expect(view.caveats).toEqual(['Baseline 2026-10-19 to 2026-11-16: 7,400 calls.']);
    expect(view.links.auditTrail.text).toBe('Open in Datadog Audit Trail');
    expect(view.links.clientsMetric.url).toContain('exp_group=client');
  });

  it('keeps audit text raw: the medium escapes it, never the view', () => {
    // Act
    const view = buildReportView(makeHostileSummary());

    // Assess
    expect(view.subtitle).toBe('Acme <b>&</b> {{org}}');
    expect(view.topUsers.items.map((u) => u.name)).toEqual(HOSTILE_VALUES.slice(0, 5));
    expect(view.anomalies.flags[0]?.user).toBe('<!channel>');
    expect(strings(view)).toContain('<script>alert(1)</script>');
  });

  it('writes no markup of any medium of its own', () => {
    // Prepare: every section present, nothing from the data that looks like markup
    const flags = makeBusySummary(12).anomalies;
    const view: ReportView = buildReportView(
      makeSummary({
        complete: false,
        warnings: ['Slice 3 timed out'],
        anomalies: flags,
        anomaly_counts: countFlags(flags),
        trend: [
          { week_end: '2026-11-16T00:00:00.000Z', calls: 1500, people: 40, anomalies: null, complete: true },
          { week_end: '2026-11-23T00:00:00.000Z', calls: 2000, people: 45, anomalies: null, complete: true },
        ],
      }),
    );

    // Assess: no tag, entity, Slack emoji, mrkdwn emphasis or link, Adaptive Card token
    const all = strings(view);
    expect(all.length).toBeGreaterThan(300);
    for (const s of all) expect(s).not.toMatch(/<[a-z/!@#]|&\w+;|:[a-z_]+:|\*\w|\b_\w+_\b|\{\{|\|/);
  });

  it('is the one door of render/view/: no renderer imports the view family file by file', () => {
    // Act
    const reachingIn = readdirSync(RENDER)
      .filter((name) => name.endsWith('.ts'))
      .filter((name) => /from '\.\/view\/[^']+'/.test(readFileSync(join(RENDER, name), 'utf8')));

    // Assess
    expect(reachingIn).toEqual([]);
  });
});
