import type { KnownBlock } from '@slack/types';
import { buildSlackMessage, fitLines } from '../../../functions/weekly-report/render/slack-blocks';
import { allStrings, slackLimitViolations } from '../../support/slack-limits';
import { countFlags, makeBusySummary, makeHugeSummary, makeSummary } from '../../support/summary-fixtures';

const CHANNEL = 'C0123456789';

function textOfBlocks(blocks: readonly KnownBlock[]): string {
  return allStrings(blocks).join('\n');
}

describe('Slack message', () => {
  it('is chat.postMessage arguments with a readable notification text and no unfurling', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const message = buildSlackMessage(summary, CHANNEL);

    // Assess
    expect(message.channel).toBe(CHANNEL);
    expect(message.unfurl_links).toBe(false);
    expect(message.text).toBe(
      'AI Activity Audit — Acme Corporation — 2026-11-16 to 2026-11-22: 48,213 calls by 412 people, 40 anomalies (14 high)',
    );
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'AI Activity Audit — Acme Corporation', emoji: false },
    });
  });

  it('shows totals with deltas as fields, a sparkline and the lists', () => {
    // Prepare
    const summary = makeSummary();

    // Act
    const { blocks } = buildSlackMessage(summary, CHANNEL);

    // Assess
    const text = textOfBlocks(blocks);
    expect(text).toContain('*Tool calls*\n2,000  _+11% vs previous week_');
    expect(text).toContain('*People*\n67  _+12% vs previous week_');
    expect(text).toMatch(/\*Daily calls\* {2}`[▁▂▃▄▅▆▇█]{7}`/);
    expect(text).toContain('1. ana@example.com — 467');
    expect(text).toContain('1. accessed — 1,568');
    expect(text).toContain('1. dashboard — 600');
    expect(text).toContain('No anomalies flagged this week.');
  });

  it('leaves out deltas without a previous window', () => {
    // Act
    const { blocks } = buildSlackMessage(makeSummary({ previous_window: undefined }), CHANNEL);

    // Assess
    expect(textOfBlocks(blocks)).not.toContain('previous week');
  });

  it('warns about partial data and lists the warnings', () => {
    // Prepare
    const summary = makeSummary({ complete: false, warnings: ['Slice 3 timed out'] });

    // Act
    const message = buildSlackMessage(summary, CHANNEL);

    // Assess
    expect(textOfBlocks(message.blocks)).toContain(':warning: *Partial data*');
    expect(textOfBlocks(message.blocks)).toContain('• Slice 3 timed out');
    expect(message.text).toContain('(partial data)');
  });

  it('says which rules were not evaluated when there is no baseline', () => {
    // Prepare
    const counts = { ...countFlags([]), first_time_user: null, out_of_scope: null, new_country: null };

    // Act
    const { blocks } = buildSlackMessage(makeSummary({ baseline: undefined, anomaly_counts: counts }), CHANNEL);

    // Assess
    const text = textOfBlocks(blocks);
    expect(text).toContain('First-time user _not evaluated (no baseline)_');
    expect(text).toContain('3 rules not evaluated (no baseline)');
  });

  it('lists anomalies by severity, each with its Datadog link, and links to the rest', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const { blocks } = buildSlackMessage(summary, CHANNEL);

    // Assess
    const text = textOfBlocks(blocks);
    const high = text.indexOf('*High · 14*');
    const medium = text.indexOf('*Medium · 20*');
    const low = text.indexOf('*Low · 6*');
    expect(high).toBeGreaterThan(-1);
    expect(medium).toBeGreaterThan(high);
    expect(low).toBeGreaterThan(medium);
    expect(text).toContain(`<${summary.anomalies[0]?.link}|view>`);
    expect(text).toMatch(/_and \d+ more high_/);
    expect(text).toMatch(/of 40 listed · <https:\/\/app\.datadoghq\.com\/[^|]+\|Open all 40 in Datadog>/);
  });

  it('stays within Slack limits with 5000 anomalies and 5000-character ids', () => {
    // Prepare
    const summary = makeHugeSummary(5000);

    // Act
    const message = buildSlackMessage(summary, CHANNEL);

    // Assess
    expect(slackLimitViolations(message)).toEqual([]);
    expect(textOfBlocks(message.blocks)).toContain('of 5,000 listed');
  });

  it('stays within Slack limits with a 5000-character org name', () => {
    // Prepare
    const summary = makeSummary({ org: '&'.repeat(5000) });

    // Act
    const message = buildSlackMessage(summary, CHANNEL);

    // Assess
    expect(slackLimitViolations(message)).toEqual([]);
  });
});

describe('fitLines', () => {
  it('keeps lines that fit and ends with "and N more" for the rest', () => {
    // Prepare
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);

    // Act
    const { text, shown } = fitLines('T', lines, 100, (n) => `and ${n} more`, 5);

    // Assess
    expect(text.length).toBeLessThanOrEqual(100);
    expect(shown).toBe(3);
    expect(text.endsWith('and 12 more')).toBe(true);
  });

  it('adds nothing when everything fits', () => {
    expect(fitLines('T', ['a', 'b'], 100, (n) => `and ${n} more`)).toEqual({ text: 'T\na\nb', shown: 2 });
  });
});
