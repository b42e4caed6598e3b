import { MULTIPLE } from '../../../functions/weekly-report/core/types';
import { renderReport } from '../../../functions/weekly-report/render';
import { formatTextReport } from '../../../functions/weekly-report/render/text-report';
import { countFlags, makeFlag, makeSummary } from '../../support/summary-fixtures';

describe('a burst flag (high_volume) in every medium', () => {
  it('shows the person, the calls and (in the Slack thread and the text) the detail, never the "(multiple)" placeholders', () => {
    // Prepare
    const flag = {
      ...makeFlag({ kind: 'high_volume', severity: 'medium' }),
      user: 'burst@example.com',
      action: MULTIPLE,
      resource_type: MULTIPLE,
      resource_id: MULTIPLE,
      count: 130,
      detail: '130 calls between 2026-11-18 12:00 and 2026-11-18 12:07',
    };
    const summary = makeSummary({ anomalies: [flag], anomaly_counts: countFlags([flag]) });
    // Act
    const report = renderReport(summary, { slackChannel: 'C0123456789' });
    // Assess
    const html = report.html.replace(/<wbr>/g, '');
    for (const output of [html, JSON.stringify(report.slack), formatTextReport(summary)]) {
      expect(output).toContain('burst@example.com');
      expect(output).toContain('130 calls in a burst');
      expect(output).not.toContain(MULTIPLE);
    }
    // The card is short: its detail is one click away, in the Slack thread and the text part.
    for (const output of [JSON.stringify(report.slack.thread), formatTextReport(summary)]) {
      expect(output).toContain('130 calls between');
    }
  });
});
