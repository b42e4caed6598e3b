/**
 * The email's size is a byte budget, not a character budget: Gmail clips a message past ~102 KB
 * of HTML, in bytes, and a character of CJK text is 3 bytes of UTF-8, one of Arabic 2, an emoji 4
 * (a skin-toned, joined one 15). A week whose every audit-derived field is filled to its limit with
 * each script must stay under 100 KB of HTML (issue 23, item 6). Before the byte budget, the
 * renderers cut values by characters only, and such a week made 112–116 KB.
 */
import type { AnomalyFlag, Summary } from '../../../functions/weekly-report/core/types';
import { renderReport } from '../../../functions/weekly-report/render';
import { EMAIL_HTML_BUDGET, fitEmailHtml, renderEmailHtml } from '../../../functions/weekly-report/render/email';
import { EMAIL_LIMIT_STEPS } from '../../../functions/weekly-report/render/email-markup';
import { clipBytes } from '../../../functions/weekly-report/render/escape';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { slackLimitViolations } from '../../support/slack-limits';
import { countFlags, makeFlag, makeGroup, makeSummary, makeToolUsage } from '../../support/summary-fixtures';

/** One "character" of each script, as a reader sees it. */
const SCRIPTS: Readonly<Record<string, string>> = {
  CJK: '漢',
  Arabic: 'ع',
  emoji: '😀',
  'joined emoji': '👩🏽‍💻',
};

/** `n` characters of `unit`, far past every field's limit. */
function fill(unit: string, n = 400): string {
  return unit.repeat(n);
}

/**
 * A week of many anomalies (one person each, so one group each), where every audit-derived string
 * (the org, people, actions, resource types and ids, details, agents, clients, tools, changes,
 * warnings) is text of one script at and past its field's limit.
 */
function weekOf(unit: string): Summary {
  const long = fill(unit);
  const flags: AnomalyFlag[] = Array.from({ length: 3_000 }, (_, i) => ({
    ...makeFlag(
      {
        severity: (['high', 'medium', 'low'] as const)[i % 3],
        kind: (['destructive_action', 'high_volume', 'first_time_user'] as const)[i % 3],
        user: `${i}${long}`,
        action: long,
        resource_type: long,
        resource_id: long,
        detail: long,
      },
      i,
    ),
    agent: long,
    mode: 'autonomous',
  }));
  const base = makeSummary({
    org: fill(unit, 100),
    scope: { label: long },
    top_users: Array.from({ length: 10 }, (_, i) => ({ user: `${i}${long}`, calls: 1000 - i })),
    actions_breakdown: Array.from({ length: 100 }, (_, i) => ({ action: `${i}${long}`, count: 500 - i })),
    resource_types: Array.from({ length: 100 }, (_, i) => ({ type: `${i}${long}`, count: 500 - i })),
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    // One group per person, as the core groups them; every field of a group at its limit too.
    anomaly_groups: flags.map((f) =>
      makeGroup(f, {
        resource_types: Array.from({ length: 10 }, (_, i) => ({ type: `${i}${long}`, count: 10 - i })),
        resources: {
          total: 30,
          items: Array.from({ length: 5 }, (_, i) => ({ type: long, id: `${i}${long}`, name: long })),
        },
        agent: long,
        detail: long,
        exception_expired: { owner: long, reason: long, expires: '2026-11-20' },
      }),
    ),
    resolved_groups: Array.from({ length: 500 }, (_, i) => ({
      id: 'ab'.repeat(8),
      kind: 'destructive_action' as const,
      person: `${i}${long}`,
      severity: 'high' as const,
      weeks: 2,
    })),
    group_history: { previous_week_end: null, note: long },
    changes: {
      total: 10_000,
      items: Array.from({ length: 200 }, (_, i) => ({
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString(),
        user: `${i}${long}`,
        action: long,
        resource_type: long,
        resource_id: long,
        resource_name: long,
        kind: 'agent_action' as const,
        agent: long,
        mode: 'autonomous',
      })),
    },
    ...makeToolUsage(
      250_000,
      Array.from({ length: 100 }, (_, i) => `${i}${long}`),
      Array.from({ length: 50 }, (_, i) => `${i}${long}`),
    ),
    warnings: Array.from({ length: 50 }, (_, i) => `${i}${long}`),
    complete: false,
    ai_activity: {
      query: '(@evt.name:"MCP Server" OR is_mcp_call:true OR @evt.actor.mode:*)',
      total: 250_000,
      by_kind: { mcp_tool_call: 200_000, mcp_action: 30_000, agent_action: 20_000 },
      autonomous: 9_000,
      interactive: 11_000,
      agents: Array.from({ length: 50 }, (_, i) => ({
        agent: `${i}${long}`,
        events: 500 - i,
        interactive: 300,
        autonomous: 200 - i,
        people: 9,
      })),
      attribution: { agent_events: 20_000, with_delegator: 19_000, share: 0.95 },
      daily: [],
      previous_window: { total: 200_000, autonomous: 8_000 },
      link: 'https://app.datadoghq.com/audit-trail?query=x&from_ts=1&to_ts=2&live=false',
    },
  });
  return base;
}

describe('the email byte budget', () => {
  it.each(Object.entries(SCRIPTS))(
    'keeps the HTML under 100 KB in bytes for a busy week written in %s at every field limit',
    (_, unit) => {
      // Prepare
      const summary = weekOf(unit);

      // Act
      const html = renderReport(summary, { slackChannel: 'C0123456789' }).html;

      // Assess
      const bytes = Buffer.byteLength(html, 'utf8');
      expect({ bytes, under: bytes < 100_000 }).toEqual({ bytes, under: true });
      // The script is in it: the budget was met by cutting values, not by leaving them out.
      expect(html).toContain(unit);
    },
  );

  it('meets the budget with the normal limits: each value is cut by bytes as well as by characters', () => {
    for (const unit of Object.values(SCRIPTS)) {
      const html = renderEmailHtml(buildReportView(weekOf(unit)));
      expect(Buffer.byteLength(html, 'utf8')).toBeLessThan(EMAIL_HTML_BUDGET);
    }
  });

  it('draws with tighter limits, step by step, when the normal ones are over the budget', () => {
    // Prepare
    const view = buildReportView(weekOf('漢'));
    const sizes = EMAIL_LIMIT_STEPS.map((limits) => Buffer.byteLength(renderEmailHtml(view, limits), 'utf8'));

    // Act: a budget only the tightest limits meet
    const html = fitEmailHtml(view, (sizes.at(-1) ?? 0) + 1);

    // Assess
    expect(sizes[0]).toBeGreaterThan(sizes.at(-1) ?? 0);
    expect(Buffer.byteLength(html, 'utf8')).toBe(sizes.at(-1));
  });

  it('cuts by bytes between grapheme clusters, never inside a joined emoji', () => {
    expect(clipBytes('👩🏽‍💻'.repeat(10), 40)).toBe('👩🏽‍💻👩🏽‍💻…');
    expect(clipBytes('漢'.repeat(10), 12)).toBe('漢漢漢…');
    expect(clipBytes('abc', 3)).toBe('abc');
  });

  it('keeps the Slack post and its thread within Slack limits in every script', () => {
    for (const unit of Object.values(SCRIPTS)) {
      const { slack } = renderReport(weekOf(unit), { slackChannel: 'C0123456789' });
      expect(slack.post.blocks.length).toBeLessThanOrEqual(6);
      for (const message of [slack.post, ...slack.thread]) expect(slackLimitViolations(message)).toEqual([]);
    }
  });
});
