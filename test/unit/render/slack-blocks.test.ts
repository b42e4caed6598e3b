/**
 * The Slack report: a short channel post (at most 6 blocks: the title, the headline figures, the
 * new and recurring high and medium groups, one link) and one reply in its thread with
 * everything else, each within Slack's limits however busy or hostile the week.
 */
import type { KnownBlock } from '@slack/types';
import type { AnomalyGroup } from '../../../functions/weekly-report/core/types';
import {
  blocksLength,
  buildSlackReport,
  fitThreadBlocks,
  postBlocks,
} from '../../../functions/weekly-report/render/slack-blocks';
import { fitLines, SLACK_LIMITS } from '../../../functions/weekly-report/render/slack-mrkdwn';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { allStrings, LIMITS, slackLimitViolations } from '../../support/slack-limits';
import {
  countFlags,
  makeBusySummary,
  makeFlag,
  makeGroup,
  makeHugeSummary,
  makeSummary,
} from '../../support/summary-fixtures';

const CHANNEL = 'C0123456789';

function textOfBlocks(blocks: readonly KnownBlock[]): string {
  return allStrings(blocks).join('\n');
}

/** The post's and the thread reply's blocks, as text. */
function texts(summary: Parameters<typeof buildReportView>[0]): { post: string; thread: string } {
  const { post, thread } = buildSlackReport(buildReportView(summary), CHANNEL);
  return { post: textOfBlocks(post.blocks), thread: textOfBlocks(thread[0]?.blocks ?? []) };
}

describe('Slack report', () => {
  it('is a channel post and one thread reply, chat.postMessage arguments with readable notification texts and no unfurling', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const { post, thread } = buildSlackReport(buildReportView(summary), CHANNEL);

    // Assess
    expect(thread).toHaveLength(1);
    for (const message of [post, ...thread]) {
      expect(message.channel).toBe(CHANNEL);
      expect(message.unfurl_links).toBe(false);
      expect(message.unfurl_media).toBe(false);
    }
    expect(post.text).toBe(
      'AI Activity Audit — Acme Corporation — 2026-11-16 to 2026-11-22: 48,213 calls by 412 people, 40 anomalies (14 high)',
    );
    expect(thread[0]?.text).toBe('Details: AI Activity Audit — Acme Corporation — 2026-11-16 to 2026-11-22');
    expect(post.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'AI Activity Audit — Acme Corporation', emoji: false },
    });
  });

  it('keeps the channel post to at most 6 blocks in a quiet, a busy, a partial and a huge week', () => {
    for (const summary of [
      makeSummary(),
      makeBusySummary(400),
      makeSummary({ complete: false, warnings: ['Slice 3 timed out'] }),
      makeHugeSummary(5000),
    ]) {
      const { post } = buildSlackReport(buildReportView(summary), CHANNEL);
      expect(post.blocks.length).toBeLessThanOrEqual(6);
      expect(slackLimitViolations(post)).toEqual([]);
    }
  });

  it('shows the totals with deltas on the post, the lists and a daily table in the thread', () => {
    // Act
    const { post, thread } = texts(makeSummary());

    // Assess
    expect(post).toContain('*Tool calls*\n2,000  _+11% vs previous week_');
    expect(post).toContain('*People*\n67  _+12% vs previous week_');
    expect(post).toContain('No anomalies flagged this week.');
    expect(post).toContain('are in the thread');
    expect(post).not.toContain('*Top users*');
    expect(thread).toContain('1. ana@example.com — 467');
    expect(thread).toContain('1. accessed — 1,568');
    expect(thread).toContain('1. dashboard — 600');
    // A monospace table in a code block, never an inline-code sparkline (red in Slack's light theme).
    expect(thread).toContain('*Daily calls* · peak 412 on Wed 18 Nov\n```Mon 16 Nov 301 ');
    expect(thread).not.toMatch(/`[▁▂▃▄▅▆▇█]+`/);
  });

  it('leaves out deltas without a previous window', () => {
    // Act
    const { post, thread } = texts(makeSummary({ previous_window: undefined }));

    // Assess
    expect(post).not.toContain('previous week');
    expect(thread).not.toContain('previous week');
  });

  it('warns about partial data in one line on the post and lists the reasons in the thread', () => {
    // Prepare
    const summary = makeSummary({ complete: false, warnings: ['Slice 3 timed out'] });

    // Act
    const report = buildSlackReport(buildReportView(summary), CHANNEL);

    // Assess
    const post = textOfBlocks(report.post.blocks);
    expect(post).toContain(':warning: *Partial data*');
    expect(post).not.toContain('Slice 3 timed out');
    expect(textOfBlocks(report.thread[0]?.blocks ?? [])).toContain('• Slice 3 timed out');
    expect(report.post.text).toBe(
      'AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 [partial]: 2,000 calls by 67 people, no anomalies',
    );
  });

  it('says which rules were not evaluated when there is no baseline', () => {
    // Prepare
    const counts = { ...countFlags([]), first_time_user: null, out_of_scope: null, new_country: null };

    // Act
    const { post, thread } = texts(makeSummary({ baseline: undefined, anomaly_counts: counts }));

    // Assess
    expect(post).toContain('3 rules not evaluated (no baseline)');
    expect(thread).toContain('Not evaluated (no baseline): first-time user, out of scope, new country');
  });

  it('lists at most five high and medium groups on the post, one line each, and says how many more are in the thread', () => {
    // Prepare: 40 flags of 40 people, 34 of them high or medium
    const summary = makeBusySummary(40);

    // Act
    const { post } = texts(summary);

    // Assess
    expect(post).toContain('*Needs a look* — 34 high and medium groups');
    const lines = post.split('\n').filter((l) => /^:(red|large_orange|large_blue)_circle:/.test(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(
      /^:red_circle: \*Destructive action\* · user0@example\.com · <https:\/\/app\.datadoghq\.com\/[^|]+\|1 deletion \(monitor ×1\)> · _new_$/,
    );
    expect(post).toContain('_and 35 more groups in the thread_');
  });

  it('lists every group by severity in the thread, with when (its zone named) and why it has its severity', () => {
    // Prepare
    const summary = makeBusySummary(40);

    // Act
    const { thread } = texts(summary);

    // Assess
    const high = thread.indexOf('*High · 14*');
    const medium = thread.indexOf('*Medium · 20*');
    const low = thread.indexOf('*Low · 6*');
    expect(high).toBeGreaterThan(-1);
    expect(medium).toBeGreaterThan(high);
    expect(low).toBeGreaterThan(medium);
    expect(thread).toContain(
      '\n>Tue 17 Nov 11:00 Europe/Berlin · High: deleted a type rated high (monitor, dashboard)',
    );
    expect(thread).toContain(`<${summary.anomalies[0]?.link}|1 deletion (monitor ×1)>`);
    expect(thread).toMatch(/<https:\/\/app\.datadoghq\.com\/[^|]+\|and \d+ more medium groups in Datadog>/);
  });

  it('says a group is recurring and for how many weeks, counts the accepted and the resolved', () => {
    // Prepare
    const flags = [makeFlag({}, 0), makeFlag({ user: 'bo@example.com' }, 1)];
    const groups: AnomalyGroup[] = [
      makeGroup(flags[0]!, { status: 'recurring', weeks: 3 }),
      makeGroup(flags[1]!, {
        accepted: { owner: 'secops@example.com', reason: 'clean-up', expires: '2026-12-31' },
      }),
    ];
    const summary = makeSummary({
      anomalies: flags,
      anomaly_counts: countFlags(flags),
      anomaly_groups: groups,
      resolved_groups: [
        { id: 'ab'.repeat(8), kind: 'high_volume', person: 'chen@example.com', severity: 'medium', weeks: 2 },
      ],
      group_history: { previous_week_end: '2026-11-16T00:00:00.000Z' },
    });

    // Act
    const { post, thread } = texts(summary);

    // Assess
    expect(post).toContain('user0@example.com · <');
    expect(post).toContain('· _recurring · 3 weeks_');
    expect(post).not.toContain('bo@example.com');
    expect(post).toContain('_1 accepted (secops@example.com, until 2026-12-31) · 1 resolved since last week_');
    expect(thread).toContain(':heavy_check_mark: 1 accepted (secops@example.com, until 2026-12-31): clean-up');
    expect(thread).toContain('*Resolved since last week:* High volume · chen@example.com (flagged 2 weeks running)');
  });

  it('shows tools and AI clients side by side in the thread, "and N more" linking to the metric', () => {
    // Prepare: 12 tools, 3 clients
    const summary = makeSummary();

    // Act
    const { thread } = texts(summary);

    // Assess
    expect(thread).toContain(
      '*Tools*\n1. search_datadog_logs — 650 (33%, −9%)\n2. get_datadog_metric — 322 (16%, +25%)',
    );
    expect(thread).toContain('3. search_datadog_monitors — 214 (11%, new)');
    expect(thread).toContain(`<${summary.tool_usage?.link}|and 2 more in Datadog>`);
    expect(thread).toContain('*AI clients*\n• claude — 1,092 calls, 30 people\n• cursor — 545 calls, 21 people');
  });

  it('shows a new_client group with its MCP client and no call time (the metric has none)', () => {
    // Prepare
    const flag = {
      ...makeFlag({ kind: 'new_client', severity: 'low', action: '(multiple)', resource_type: '(multiple)' }, 0),
      resource_id: '(multiple)',
      client: 'cursor',
      count: 5,
    };
    const summary = makeSummary({ anomalies: [flag], anomaly_counts: countFlags([flag]) });

    // Act
    const { thread } = texts(summary);

    // Assess
    expect(thread).toContain(':large_blue_circle: *New MCP client* · user0@example.com · <');
    expect(thread).toContain('|5 calls through cursor> · _new_\n>this week (no call times) · ');
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
    const { post, thread } = texts(summary);

    // Assess
    expect(thread).toContain(
      '*Tools and AI clients:* not available from a file: tools and MCP clients come from the metric',
    );
    expect(thread).not.toContain('*Tools*');
    expect(post).toContain('1 rule not evaluated (no usage metric)');
  });

  it('stays within Slack limits with 5000 anomalies and 5000-character ids, the total with a margin', () => {
    // Prepare
    const summary = makeHugeSummary(5000);

    // Act
    const { post, thread } = buildSlackReport(buildReportView(summary), CHANNEL);

    // Assess
    for (const message of [post, ...thread]) {
      expect(slackLimitViolations(message)).toEqual([]);
      expect(blocksLength(message.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.blocksTotal);
    }
    expect(SLACK_LIMITS.blocksTotal).toBeLessThan(LIMITS.blocksTotal);
    // One person's 5,000 deletions are one group: one line, not 5,000.
    const text = textOfBlocks(thread[0]?.blocks ?? []);
    expect(text).toContain('*Anomaly groups* — 1 group from 5,000 flags: 1 new');
    expect(text).toMatch(/\*High · 1\*\n:red_circle: \*Destructive action\* · id-9+…/);
  });

  it('keeps the total within the cap when every value escapes to five times its length', () => {
    // Prepare: '&' becomes '&amp;' in every value, list and note of the 5000-anomaly week
    const huge = makeHugeSummary(5000);
    const amp = '&'.repeat(300);
    const summary = {
      ...huge,
      org: amp,
      anomalies: huge.anomalies.map((f, i) => ({
        ...f,
        user: `${amp}${i}`,
        action: amp,
        resource_id: amp,
        detail: amp,
      })),
      actions_breakdown: huge.actions_breakdown.map((a, i) => ({ ...a, action: `${amp}${i}` })),
      resource_types: huge.resource_types.map((r, i) => ({ ...r, type: `${amp}${i}` })),
      warnings: huge.warnings.map((w) => `${amp} ${w}`),
    };

    // Act
    const { post, thread } = buildSlackReport(buildReportView(summary), CHANNEL);

    // Assess: fits, and still lists groups with their "and N more"
    for (const message of [post, ...thread]) {
      expect(slackLimitViolations(message)).toEqual([]);
      expect(blocksLength(message.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.blocksTotal);
    }
    expect(textOfBlocks(thread[0]?.blocks ?? [])).toMatch(/\*High · [\d,]+\*\n:red_circle:/);
  });

  it('gives the thread less room under a smaller cap, and leaves its lists out, with a link, when even that is too much', () => {
    // Prepare
    const summary = makeBusySummary(40);
    const full = blocksLength(fitThreadBlocks(buildReportView(summary), Number.POSITIVE_INFINITY));

    // Act
    const shrunk = fitThreadBlocks(buildReportView(summary), full - 2000);
    const bare = fitThreadBlocks(buildReportView(summary), 2000);

    // Assess
    expect(blocksLength(shrunk)).toBeLessThanOrEqual(full - 2000);
    expect(textOfBlocks(shrunk)).toContain('*Top users*');
    expect(textOfBlocks(shrunk)).toMatch(/\|and [\d,]+ more high groups in Datadog>/);
    expect(blocksLength(bare)).toBeLessThanOrEqual(2000);
    expect(textOfBlocks(bare)).not.toContain('*Top users*');
    expect(textOfBlocks(bare)).toContain('The other lists did not fit in one Slack message');
    expect(slackLimitViolations({ text: 'x', blocks: bare })).toEqual([]);
  });

  it('links every "and N more" of a Datadog list to the calls it left out', () => {
    // Prepare: 14 resource types (6 shown), 8,000 changes (5 shown)
    const summary = makeBusySummary(40);

    // Act
    const { thread } = texts(summary);

    // Assess
    const mores = Array.from(thread.matchAll(/(\|?)and [\d,]+ more( \w+)?/g));
    expect(mores.length).toBeGreaterThanOrEqual(4);
    for (const m of mores) expect(m[1]).toBe('|');
    const queries = Array.from(thread.matchAll(/<(https:[^|>]+)\|and [\d,]+ more/g), (m) =>
      new URL(m[1] ?? '').searchParams.get('query'),
    );
    expect(queries).toContain(
      `@evt.name:"MCP Server" ${Array.from({ length: 6 }, (_, i) => `-@asset.type:"resource_type_${i}"`).join(' ')}`,
    );
    expect(queries).toContain('@evt.name:"MCP Server" (@action:"created" OR @action:"modified" OR @action:"deleted")');
  });

  it('puts when and why of a group in a quote of its own, so wrapped lines keep their indent', () => {
    // Act
    const { thread } = texts(makeBusySummary(6));

    // Assess
    expect(thread).toMatch(/\|1 deletion \(monitor ×1\)> · _new_\n>Tue 17 Nov 11:00 Europe\/Berlin · High: /);
    expect(thread).not.toMatch(/\n {2,}\S/);
  });

  it('stays within Slack limits with a 5000-character org name', () => {
    // Prepare
    const summary = makeSummary({ org: '&'.repeat(5000) });

    // Act
    const { post, thread } = buildSlackReport(buildReportView(summary), CHANNEL);

    // Assess
    expect(slackLimitViolations(post)).toEqual([]);
    for (const reply of thread) expect(slackLimitViolations(reply)).toEqual([]);
    expect(postBlocks(buildReportView(summary)).length).toBeLessThanOrEqual(6);
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
