import type { KnownBlock } from '@slack/types';
import { blocksLength, buildSlackMessage, fitSlackBlocks } from '../../../functions/weekly-report/render/slack-blocks';
import { fitLines, SLACK_LIMITS } from '../../../functions/weekly-report/render/slack-mrkdwn';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { allStrings, LIMITS, slackLimitViolations } from '../../support/slack-limits';
import { countFlags, makeBusySummary, makeFlag, makeHugeSummary, makeSummary } from '../../support/summary-fixtures';

const CHANNEL = 'C0123456789';

function textOfBlocks(blocks: readonly KnownBlock[]): string {
  return allStrings(blocks).join('\n');
}

describe('Slack message', () => {
  it('is chat.postMessage arguments with a readable notification text and no unfurling', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const message = buildSlackMessage(buildReportView(summary), CHANNEL);

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
    const { blocks } = buildSlackMessage(buildReportView(summary), CHANNEL);

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
    const { blocks } = buildSlackMessage(buildReportView(makeSummary({ previous_window: undefined })), CHANNEL);

    // Assess
    expect(textOfBlocks(blocks)).not.toContain('previous week');
  });

  it('warns about partial data and lists the warnings', () => {
    // Prepare
    const summary = makeSummary({ complete: false, warnings: ['Slice 3 timed out'] });

    // Act
    const message = buildSlackMessage(buildReportView(summary), CHANNEL);

    // Assess
    expect(textOfBlocks(message.blocks)).toContain(':warning: *Partial data*');
    expect(textOfBlocks(message.blocks)).toContain('• Slice 3 timed out');
    expect(message.text).toBe(
      'AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 [partial]: 2,000 calls by 67 people, no anomalies',
    );
  });

  it('says which rules were not evaluated when there is no baseline', () => {
    // Prepare
    const counts = { ...countFlags([]), first_time_user: null, out_of_scope: null, new_country: null };

    // Act
    const { blocks } = buildSlackMessage(
      buildReportView(makeSummary({ baseline: undefined, anomaly_counts: counts })),
      CHANNEL,
    );

    // Assess
    const text = textOfBlocks(blocks);
    expect(text).toContain('First-time user _not evaluated (no baseline)_');
    expect(text).toContain('3 rules not evaluated (no baseline)');
  });

  it('lists anomalies by severity, each with its Datadog link, and links to the rest', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const { blocks } = buildSlackMessage(buildReportView(summary), CHANNEL);

    // Assess
    const text = textOfBlocks(blocks);
    const high = text.indexOf('*High · 14*');
    const medium = text.indexOf('*Medium · 20*');
    const low = text.indexOf('*Low · 6*');
    expect(high).toBeGreaterThan(-1);
    expect(medium).toBeGreaterThan(high);
    expect(low).toBeGreaterThan(medium);
    expect(text).toContain(`<${summary.anomalies[0]?.link}|view>`);
    expect(text).toMatch(/<https:\/\/app\.datadoghq\.com\/[^|]+\|and \d+ more high in Datadog>/);
    expect(text).toMatch(/of 40 listed · <https:\/\/app\.datadoghq\.com\/[^|]+\|Open all 40 in Datadog>/);
  });

  it('shows tools and AI clients side by side, "and N more" linking to the metric', () => {
    // Prepare: 12 tools, 3 clients
    const summary = makeSummary();

    // Act
    const text = textOfBlocks(buildSlackMessage(buildReportView(summary), CHANNEL).blocks);

    // Assess
    expect(text).toContain('*Tools*\n1. search_datadog_logs — 650 (33%, −9%)\n2. get_datadog_metric — 322 (16%, +25%)');
    expect(text).toContain('3. search_datadog_monitors — 214 (11%, new)');
    expect(text).toContain(`<${summary.tool_usage?.link}|and 2 more in Datadog>`);
    expect(text).toContain('*AI clients*\n• claude — 1,092 calls, 30 people\n• cursor — 545 calls, 21 people');
  });

  it('shows a new_client flag with its MCP client and no call time (the metric has none)', () => {
    // Prepare
    const flag = {
      ...makeFlag({ kind: 'new_client', severity: 'low', action: '(multiple)', resource_type: '(multiple)' }, 0),
      resource_id: '(multiple)',
      client: 'cursor',
      count: 5,
    };
    const summary = makeSummary({ anomalies: [flag], anomaly_counts: countFlags([flag]) });

    // Act
    const text = textOfBlocks(buildSlackMessage(buildReportView(summary), CHANNEL).blocks);

    // Assess
    expect(text).toContain(':large_blue_circle: *New MCP client* · user0@example.com · cursor · 5 calls · <');
  });

  it('says in one line why tools and clients are not shown', () => {
    // Prepare
    const summary = makeSummary({
      tools: null,
      clients: null,
      tool_usage: {
        metric: 'datadog.mcp.tool.usage',
        status: 'not_fetched',
        reason: 'not available from a file: tools and MCP clients come from the metric',
        link: 'https://app.datadoghq.com/metric/explorer?exp_metric=datadog.mcp.tool.usage',
      },
      anomaly_counts: { ...makeSummary().anomaly_counts, new_client: null },
    });

    // Act
    const text = textOfBlocks(buildSlackMessage(buildReportView(summary), CHANNEL).blocks);

    // Assess
    expect(text).toContain(
      '*Tools and AI clients:* not available from a file: tools and MCP clients come from the metric',
    );
    expect(text).not.toContain('*Tools*');
    expect(text).toContain('1 rule not evaluated (no usage metric)');
  });

  it('stays within Slack limits with 5000 anomalies and 5000-character ids, the total with a margin', () => {
    // Prepare
    const summary = makeHugeSummary(5000);

    // Act
    const message = buildSlackMessage(buildReportView(summary), CHANNEL);

    // Assess
    expect(slackLimitViolations(message)).toEqual([]);
    expect(blocksLength(message.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.blocksTotal);
    expect(SLACK_LIMITS.blocksTotal).toBeLessThan(LIMITS.blocksTotal);
    const text = textOfBlocks(message.blocks);
    expect(text).toContain('of 5,000 listed');
    expect(text).toMatch(/\|and [\d,]+ more high in Datadog>/);
  });

  it('keeps the total within the cap when every value escapes to five times its length', () => {
    // Prepare: '&' becomes '&amp;' in every value, list and note of the 5000-anomaly week
    const huge = makeHugeSummary(5000);
    const amp = '&'.repeat(300);
    const summary = {
      ...huge,
      org: amp,
      anomalies: huge.anomalies.map((f) => ({ ...f, user: amp, action: amp, resource_id: amp, detail: amp })),
      actions_breakdown: huge.actions_breakdown.map((a, i) => ({ ...a, action: `${amp}${i}` })),
      resource_types: huge.resource_types.map((r, i) => ({ ...r, type: `${amp}${i}` })),
      warnings: huge.warnings.map((w) => `${amp} ${w}`),
    };

    // Act
    const message = buildSlackMessage(buildReportView(summary), CHANNEL);

    // Assess: fits, and still lists anomalies with their "and N more"
    expect(slackLimitViolations(message)).toEqual([]);
    expect(blocksLength(message.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.blocksTotal);
    expect(textOfBlocks(message.blocks)).toMatch(/\*High · [\d,]+\*\n:red_circle:/);
  });

  it('gives the lists less room under a smaller cap, and leaves them out, with a link, when even that is too much', () => {
    // Prepare
    const summary = makeBusySummary(40);
    const full = blocksLength(fitSlackBlocks(buildReportView(summary), Number.POSITIVE_INFINITY));

    // Act
    const shrunk = fitSlackBlocks(buildReportView(summary), full - 2000);
    const bare = fitSlackBlocks(buildReportView(summary), 2500);

    // Assess
    expect(blocksLength(shrunk)).toBeLessThanOrEqual(full - 2000);
    expect(textOfBlocks(shrunk)).toContain('*Top users*');
    expect(textOfBlocks(shrunk)).toMatch(/\|and [\d,]+ more high in Datadog>/);
    expect(blocksLength(bare)).toBeLessThanOrEqual(2500);
    expect(textOfBlocks(bare)).not.toContain('*Top users*');
    expect(textOfBlocks(bare)).toContain('The lists did not fit in one Slack message');
    expect(slackLimitViolations({ text: 'x', blocks: bare })).toEqual([]);
  });

  it('links every "and N more" of a Datadog list to the calls it left out', () => {
    // Prepare: 14 resource types (6 shown), 8,000 changes (5 shown), 40 anomalies (15 shown)
    const summary = makeBusySummary(40);

    // Act
    const text = textOfBlocks(buildSlackMessage(buildReportView(summary), CHANNEL).blocks);

    // Assess
    const mores = Array.from(text.matchAll(/(\|?)and [\d,]+ more( \w+)?/g));
    expect(mores.length).toBeGreaterThanOrEqual(4);
    for (const m of mores) expect(m[1]).toBe('|');
    const queries = Array.from(text.matchAll(/<(https:[^|>]+)\|and [\d,]+ more/g), (m) =>
      new URL(m[1] ?? '').searchParams.get('query'),
    );
    expect(queries).toContain(
      `@evt.name:"MCP Server" ${Array.from({ length: 6 }, (_, i) => `-@asset.type:"resource_type_${i}"`).join(' ')}`,
    );
    expect(queries).toContain('@evt.name:"MCP Server" (@action:"created" OR @action:"modified" OR @action:"deleted")');
    expect(queries).toContain('@evt.name:"MCP Server" (@action:"deleted" OR @evt.actor.type:"SUPPORT_USER")');
  });

  it("puts an anomaly's detail in a quote of its own, so wrapped lines keep their indent", () => {
    // Act
    const text = textOfBlocks(buildSlackMessage(buildReportView(makeBusySummary(6)), CHANNEL).blocks);

    // Assess
    expect(text).toContain('|view>\n>Deleted monitor "Checkout p99 latency"\n:red_circle:');
    expect(text).not.toMatch(/\n {2,}\S/);
  });

  it('stays within Slack limits with a 5000-character org name', () => {
    // Prepare
    const summary = makeSummary({ org: '&'.repeat(5000) });

    // Act
    const message = buildSlackMessage(buildReportView(summary), CHANNEL);

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
