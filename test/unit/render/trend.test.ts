/**
 * The 12-week trend in every medium: a column chart of table cells in the email, one sparkline
 * line in Slack, one line of plain digits in the text part; a week without an archived report is
 * a gap in each (a dotted slot, a dot, a dash), never a number; no trend, no chart.
 */

import { renderEmail } from '../../../functions/weekly-report/render/email';
import { buildSlackMessage } from '../../../functions/weekly-report/render/slack-blocks';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { makeSummary } from '../../support/summary-fixtures';

const WEEK = 7 * 86_400_000;
const END = Date.parse('2026-11-23T00:00:00Z');
const calls = [1542, 1601, null, 1821, 2133];
const trend = calls.map((c, i) => ({
  week_end: new Date(END - (calls.length - 1 - i) * WEEK).toISOString(),
  calls: c,
  people: c === null ? null : 30 + i,
  anomalies: c === null ? null : { high: 1, medium: 0, low: i },
  complete: c === null ? null : i !== 1,
}));

describe('the weekly trend', () => {
  it('draws one column per week in the email, a gap where no report was archived, a partial week in amber', () => {
    // Act
    const { html } = renderEmail(buildReportView(makeSummary({ trend })));

    // Assess
    const chart = html.slice(html.indexOf('Weekly calls'));
    expect(chart).toContain('5 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report');
    expect((chart.match(/border-bottom:2px dotted/g) ?? []).length).toBe(1);
    expect(chart).toContain('bgcolor="#f0a830"');
    expect(chart).toMatch(/week to Sun 22 Nov/);
  });

  it('puts a sparkline with a dot for the gap on the Slack post', () => {
    // Act
    const message = buildSlackMessage(buildReportView(makeSummary({ trend })), 'C0123456789');

    // Assess
    const text = JSON.stringify(message.blocks);
    expect(text).toMatch(
      /\*Weekly calls\* {2}`▆▇·▇█` {2}5 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report/,
    );
  });

  it('writes one line of plain digits in the text part, a dash for the gap', () => {
    // Act
    const { text } = renderEmail(buildReportView(makeSummary({ trend })));

    // Assess
    expect(text).toContain('\nWeekly calls, last 5 weeks: 1542 1601 - 1821 2133\n');
  });

  it('shows nothing of a trend with one week or none', () => {
    for (const summary of [makeSummary(), makeSummary({ trend: trend.slice(-1) })]) {
      const { html, text } = renderEmail(buildReportView(summary));
      expect(html).not.toContain('Weekly calls');
      expect(text).not.toContain('Weekly calls');
      expect(JSON.stringify(buildSlackMessage(buildReportView(summary), 'C0123456789').blocks)).not.toContain(
        'Weekly calls',
      );
    }
  });
});
