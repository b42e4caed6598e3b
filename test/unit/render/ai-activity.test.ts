/**
 * The "AI activity" section in every medium (render/view/ai.ts, the email, the Slack post, the
 * text): the headline with the AI actions and the autonomous ones, each kind with what it counts
 * and its query, the agents with their interactive/autonomous split, the attribution share, what
 * is said when an org has no agent events yet, agents' names escaped, lists cut within each
 * medium's limits; and nothing of it in a report of the seed's MCP tool calls alone.
 */
import type { AiActivitySummary, Summary } from '../../../functions/weekly-report/core/types';
import { renderReport } from '../../../functions/weekly-report/render';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { allStrings, slackLimitViolations } from '../../support/slack-limits';
import { countFlags, HOSTILE_VALUES, makeBusySummary, makeFlag, makeSummary } from '../../support/summary-fixtures';

const CHANNEL = 'C0123456789';

function aiActivity(over: Partial<AiActivitySummary> = {}): AiActivitySummary {
  return {
    query: '(@evt.name:"MCP Server" OR is_mcp_call:true OR @evt.actor.mode:*)',
    total: 2342,
    by_kind: { mcp_tool_call: 2000, mcp_action: 180, agent_action: 162 },
    autonomous: 170,
    interactive: 667,
    agents: [
      { agent: 'Bits AI SRE', events: 398, interactive: 316, autonomous: 82, people: 39 },
      { agent: 'Bits AI Dev', events: 51, interactive: 34, autonomous: 17, people: 13 },
      { agent: 'unnamed agent', events: 10, interactive: 9, autonomous: 1, people: 0 },
    ],
    attribution: { agent_events: 837, with_delegator: 788, share: 0.9415 },
    daily: [{ date: '2026-11-16', events: 2342, autonomous: 170 }],
    previous_window: { total: 2000, autonomous: 36 },
    link: 'https://app.datadoghq.com/audit-trail?query=%28%40evt.name%3A%22MCP+Server%22+OR+is_mcp_call%3Atrue+OR+%40evt.actor.mode%3A*%29&from_ts=1&to_ts=2&live=false',
    ...over,
  };
}

function withAi(summary: Summary, over: Partial<AiActivitySummary> = {}): Summary {
  return { ...summary, ai_activity: aiActivity(over), anomaly_counts: countFlags(summary.anomalies, 'all') };
}

describe('the AI activity view', () => {
  it('says how many AI actions and how many autonomous, each kind with what it counts, agents and attribution', () => {
    // Act
    const view = buildReportView(withAi(makeSummary()));

    // Assess
    expect(view.gist).toBe('2,000 calls by 67 people, 2,342 AI actions (170 autonomous), no anomalies');
    expect(view.ai?.headline).toBe(
      '2,342 AI actions this window, 170 autonomous (an AI agent acting with no user present)',
    );
    expect(view.ai?.total.delta?.text).toBe('▲ +17% (+342) vs previous week');
    expect(view.ai?.kinds.map((k) => [k.label, k.query, k.formatted])).toEqual([
      ['MCP tool calls', '@evt.name:"MCP Server"', '2,000'],
      ['Actions through the MCP server', 'is_mcp_call:true', '180'],
      ['Datadog AI agent actions', '@evt.actor.mode:*', '162'],
    ]);
    expect(view.ai?.agents[0]).toMatchObject({
      name: 'Bits AI SRE',
      split: '316 interactive, 82 autonomous',
      peopleLabel: 'for 39 people',
    });
    expect(view.ai?.agents[2]?.peopleLabel).toBe('for nobody named');
    expect(view.ai?.attribution).toBe(
      '94% of Datadog AI agent actions (788 of 837) name the user who authorised them.',
    );
    expect(view.ai?.noAgents).toBeUndefined();
    expect(view.anomalies.kinds.map((k) => k.kind)).toContain('autonomous_change');
  });

  it('says there is no Datadog AI agent activity recorded, never a blank, and why there is no change when unknown', () => {
    const view = buildReportView(
      withAi(makeSummary(), {
        agents: [],
        attribution: { agent_events: 0, with_delegator: 0, share: null },
        previous_window: null,
      }),
    );
    expect(view.ai?.noAgents).toBe('No Datadog AI agent activity recorded in this window.');
    expect(view.ai?.attribution).toBe('');
    expect(view.ai?.total.delta).toBeUndefined();
    expect(view.ai?.previousUnknown).toMatch(/archived before these kinds were read/);
    const { html, text, slack } = renderReport(withAi(makeSummary(), { agents: [] }), { slackChannel: CHANNEL });
    for (const out of [html, text, allStrings(slack.thread[0]?.blocks).join('\n')]) {
      expect(out).toContain('No Datadog AI agent activity recorded in this window.');
    }
  });

  it('has no section, headline or autonomous_change count in a report of MCP tool calls alone', () => {
    const summary = makeSummary();
    const view = buildReportView(summary);
    expect(view.ai).toBeUndefined();
    expect(view.gist).toBe('2,000 calls by 67 people, no anomalies');
    expect(view.anomalies.kinds.map((k) => k.kind)).not.toContain('autonomous_change');
    const { html, text, slack } = renderReport(summary, { slackChannel: CHANNEL });
    for (const out of [html, text, JSON.stringify(slack)]) {
      expect(out).not.toContain('AI activity');
      expect(out).not.toContain('AI actions');
    }
  });
});

describe('the AI activity section in every medium', () => {
  it('lists the kinds, the split, the agents and the attribution in the text, after the seed figures', () => {
    const { text } = renderReport(withAi(makeSummary()), { slackChannel: CHANNEL });
    expect(text).toMatch(/^Total MCP tool calls: 2000\n {2}Change vs previous window: .*\nUnique users: 67\n/m);
    expect(text).toContain('AI actions (every kind): 2342, autonomous: 170\n');
    expect(text).toContain('  Actions through the MCP server (is_mcp_call:true): 180\n');
    expect(text).toContain('  Autonomous (an AI agent acting with no user present): 170\n');
    expect(text).toContain('  Bits AI SRE: 398 (316 interactive, 82 autonomous), for 39 people\n');
    expect(text).toContain('Attribution: 94% of Datadog AI agent actions (788 of 837) name the user');
    expect(text).toContain('Resources created, modified or deleted by AI (every kind): 0');
  });

  it('shows the AI actions as a headline figure and the section in the email, escaped and cut', () => {
    // Prepare: agents named with hostile strings, more agents than the email lists
    const agents = [...HOSTILE_VALUES, ...Array.from({ length: 12 }, (_, i) => `Agent ${i}`)].map((agent, i) => ({
      agent,
      events: 100 - i,
      interactive: 50,
      autonomous: 50 - i,
      people: i,
    }));

    // Act
    const { html } = renderReport(withAi(makeBusySummary(40), { agents }), { slackChannel: CHANNEL });

    // Assess
    // The third headline figure (the anomalies are the triage above them, not repeated).
    expect(html).toMatch(/>AI actions<\/div>[\s\S]*?>2,342<\/div>[\s\S]*?170 autonomous/);
    expect(html).toContain('Datadog AI agents');
    expect(html).toContain('Actions through the MCP server</td>');
    expect(html).toMatch(/and \d+ more agents \([\d,]+ actions\)/);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).not.toContain('<!channel>');
    expect(Buffer.byteLength(html)).toBeLessThan(100 * 1024);
  });

  it('adds AI actions to the totals of the Slack post and a section to its thread, within Slack limits, names escaped', () => {
    // Prepare
    const agents = [...HOSTILE_VALUES, ...Array.from({ length: 60 }, (_, i) => `Agent ${i} ${'x'.repeat(40)}`)].map(
      (agent, i) => ({ agent, events: 1000 - i, interactive: 500, autonomous: 500 - i, people: i }),
    );
    const summary = withAi(makeBusySummary(40), { agents });

    // Act
    const { slack } = renderReport(summary, { slackChannel: CHANNEL });

    // Assess
    expect(slackLimitViolations(slack.post)).toEqual([]);
    expect(slackLimitViolations(slack.thread[0] ?? { text: '', blocks: [] })).toEqual([]);
    expect(allStrings(slack.post.blocks).join('\n')).toContain('*AI actions*\n2,342 (170 autonomous)');
    const text = allStrings(slack.thread[0]?.blocks).join('\n');
    expect(text).toContain('*AI activity* — 2,342 AI actions');
    expect(text).toContain('94% of Datadog AI agent actions (788 of 837) name the user who authorised them.');
    expect(text).toMatch(/and \d+ more agents in Datadog/);
    expect(text).not.toContain('<!channel>');
    expect(slack.post.text).toContain('2,342 AI actions (170 autonomous)');
  });

  it('says how each change was made when not by an MCP tool call', () => {
    // Prepare
    const flag = makeFlag({ kind: 'autonomous_change', severity: 'medium', user: 'Bits AI SRE' }, 0);
    const item = (over: object) => ({
      timestamp: '2026-11-17T10:00:00.000Z',
      user: 'ana@example.com',
      action: 'modified',
      resource_type: 'monitor',
      resource_id: '42',
      resource_name: 'Disk',
      ...over,
    });
    const summary = withAi(
      makeSummary({
        anomalies: [flag],
        changes: {
          total: 3,
          items: [
            item({ kind: 'mcp_tool_call' }),
            item({ kind: 'mcp_action' }),
            item({ kind: 'agent_action', user: 'Bits AI SRE', agent: 'Bits AI SRE', mode: 'autonomous' }),
          ],
        },
      }),
    );

    // Act
    const view = buildReportView(summary);
    const { html, slack } = renderReport(summary, { slackChannel: CHANNEL });

    // Assess
    expect(view.changes.items.map((c) => c.via)).toEqual(['', 'through the MCP server', 'Bits AI SRE (autonomous)']);
    expect(html).toContain('Bits AI SRE · Bits AI SRE (autonomous) ·');
    expect(allStrings(slack.thread[0]?.blocks).join('\n')).toContain('by Bits AI SRE via Bits AI SRE (autonomous)');
    expect(view.anomalies.flags[0]?.label).toBe('Autonomous change');
  });
});
