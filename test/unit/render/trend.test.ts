/**
 * The 12-week trend in every medium, every week labelled: a row per week in the email (its last
 * day, a bar and its calls, and its AI actions with the autonomous ones), a monospace table in the
 * Slack thread (legible in light and dark themes), lines of plain digits in the text part. A week
 * without an archived report is a gap in each ("no archived report", "no report", "-"), and a week
 * that did not read every kind of AI activity is a gap in the AI figures ("–", "-"), never a zero;
 * no trend, no chart.
 */

import { renderEmail } from '../../../functions/weekly-report/render/email';
import { buildSlackReport } from '../../../functions/weekly-report/render/slack-blocks';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { allStrings } from '../../support/slack-limits';
import { makeSummary } from '../../support/summary-fixtures';

const WEEK = 7 * 86_400_000;
const END = Date.parse('2026-11-23T00:00:00Z');
const calls = [1542, 1601, null, 1821, 2133];
/** AI figures: none the first week (read before every kind was), a gap where no report was archived. */
const ai = [
  null,
  { total: 1700, autonomous: 20 },
  null,
  { total: 2020, autonomous: 36 },
  { total: 2341, autonomous: 171 },
];
const trend = calls.map((c, i) => ({
  week_end: new Date(END - (calls.length - 1 - i) * WEEK).toISOString(),
  calls: c,
  people: c === null ? null : 30 + i,
  anomalies: c === null ? null : { high: 1, medium: 0, low: i },
  complete: c === null ? null : i !== 1,
  ai_activity: ai[i] ?? null,
}));

function slackThread(summary: Parameters<typeof buildReportView>[0]): string {
  return allStrings(buildSlackReport(buildReportView(summary), 'C0123456789').thread[0]?.blocks).join('\n');
}

describe('the weekly trend', () => {
  it('draws a labelled row per week in the email, with its AI actions, a gap where no report was archived, a partial week in amber', () => {
    // Act
    const { html } = renderEmail(buildReportView(makeSummary({ trend })));

    // Assess
    const chart = html.slice(html.indexOf('Weekly</strong>'));
    expect(chart).toContain('5 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report');
    for (const label of ['Sun 25 Oct', 'Sun 1 Nov', 'Sun 8 Nov', 'Sun 15 Nov', 'Sun 22 Nov'])
      expect(chart).toContain(label);
    expect((chart.match(/no archived report<\/td>/g) ?? []).length).toBe(1);
    expect(chart).toContain('bgcolor="#f0a830"');
    expect(chart).toMatch(/>2,341 <span[^>]*>\(171\)<\/span>/);
    // The first week read no AI figures: a dash, never a zero.
    expect(chart).toMatch(/Sun 25 Oct<\/td>[\s\S]*?>1,542<\/td><td[^>]*><span[^>]*>–<\/span>/);
    expect(chart).toContain('–: AI actions not read that week');
  });

  it('puts every week in a monospace table in the Slack thread, calls, AI actions and the autonomous ones, gaps said', () => {
    // Act
    const text = slackThread(makeSummary({ trend }));

    // Assess
    expect(text).toContain(
      [
        '*Weekly* · 5 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report',
        '```Week to    Tool calls AI actions autonomous',
        'Sun 25 Oct     1,542          –          –',
        'Sun 1 Nov      1,601      1,700         20 (partial)',
        'Sun 8 Nov  no report          –          –',
        'Sun 15 Nov     1,821      2,020         36',
        'Sun 22 Nov     2,133      2,341        171```',
      ].join('\n'),
    );
    expect(text).not.toMatch(/`[▁▂▃▄▅▆▇█·]+`/);
  });

  it('writes lines of plain digits in the text part, a dash for a gap', () => {
    // Act
    const { text } = renderEmail(buildReportView(makeSummary({ trend })));

    // Assess
    expect(text).toContain('\nWeekly calls, last 5 weeks: 1542 1601 - 1821 2133\n');
    expect(text).toContain('\nWeekly AI actions, last 5 weeks: - 1700 - 2020 2341\n');
    expect(text).toContain('\nWeekly autonomous AI actions, last 5 weeks: - 20 - 36 171\n');
  });

  it('shows no AI figures for a report whose weeks read none', () => {
    // Prepare
    const mcpOnly = trend.map(({ ai_activity: _, ...week }) => week);

    // Act
    const summary = makeSummary({ trend: mcpOnly });
    const { html, text } = renderEmail(buildReportView(summary));

    // Assess
    expect(html).not.toContain('AI actions (auto)');
    expect(text).not.toContain('Weekly AI actions');
    expect(slackThread(summary)).toContain('```Week to    Tool calls\nSun 25 Oct     1,542\n');
  });

  it('shows nothing of a trend with one week or none', () => {
    for (const summary of [makeSummary(), makeSummary({ trend: trend.slice(-1) })]) {
      const { html, text } = renderEmail(buildReportView(summary));
      expect(html).not.toContain('Weekly</strong>');
      expect(text).not.toContain('Weekly calls');
      expect(slackThread(summary)).not.toContain('*Weekly*');
    }
  });
});
