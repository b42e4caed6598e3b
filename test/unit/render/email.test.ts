import { ANOMALY_KINDS } from '../../../functions/weekly-report/core/types';
import { emailSubject, fillTemplate, renderEmail } from '../../../functions/weekly-report/render/email';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import {
  countFlags,
  makeBusySummary,
  makeFlag,
  makeGroup,
  makeHugeSummary,
  makeSummary,
  makeTriageSummary,
} from '../../support/summary-fixtures';

/** Visible text of an HTML fragment, roughly: tags dropped, whitespace collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<wbr>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');
}

describe('email subject', () => {
  it('names the org and the first and last day of the window in its timezone', () => {
    // Prepare: a Berlin week, Monday 00:00 to Monday 00:00 local
    const summary = makeSummary({
      org: 'Acme',
      timezone: 'Europe/Berlin',
      window: { from: '2026-11-15T23:00:00.000Z', to: '2026-11-22T23:00:00.000Z' },
    });

    // Act
    const subject = emailSubject(buildReportView(summary));

    // Assess
    expect(subject).toBe('AI Activity Audit — Acme — 2026-11-16 to 2026-11-22');
  });

  it('adds the anomaly count, singular and plural', () => {
    // Prepare
    const one = [makeFlag({}, 0)];
    const three = [makeFlag({}, 0), makeFlag({ severity: 'medium' }, 1), makeFlag({ severity: 'low' }, 2)];

    // Act
    const singular = emailSubject(buildReportView(makeSummary({ anomalies: one, anomaly_counts: countFlags(one) })));
    const plural = emailSubject(buildReportView(makeSummary({ anomalies: three, anomaly_counts: countFlags(three) })));

    // Assess
    expect(singular).toBe('AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 — 1 anomaly');
    expect(plural).toBe('AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 — 3 anomalies');
  });

  it('says [partial] after the dates when the data is incomplete', () => {
    // Prepare
    const flags = [makeFlag({}, 0), makeFlag({ severity: 'medium' }, 1), makeFlag({ severity: 'low' }, 2)];
    const partial = { complete: false, warnings: ['Slice 2026-11-18 timed out'] };

    // Act
    const withAnomalies = emailSubject(
      buildReportView(makeSummary({ ...partial, anomalies: flags, anomaly_counts: countFlags(flags) })),
    );
    const without = emailSubject(buildReportView(makeSummary(partial)));

    // Assess
    expect(withAnomalies).toBe('AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 [partial] — 3 anomalies');
    expect(without).toBe('AI Activity Audit — Acme — 2026-11-16 to 2026-11-22 [partial]');
  });

  it('is plain text on one line: no HTML escaping, no CR or LF', () => {
    // Prepare
    const summary = makeSummary({ org: 'R&D <EU>\r\nBcc: victim@example.com' });

    // Act
    const subject = emailSubject(buildReportView(summary));

    // Assess
    expect(subject).toBe('AI Activity Audit — R&D <EU> Bcc: victim@example.com — 2026-11-16 to 2026-11-22');
    expect(subject).not.toMatch(/[\r\n]/);
  });
});

describe('email HTML', () => {
  it('fills every placeholder and shows the headline numbers, lists and Datadog link', () => {
    // Prepare
    const summary = makeSummary();

    // Act
    const { html, text } = renderEmail(buildReportView(summary));

    // Assess
    expect(html).not.toMatch(/\{\{\w+\}\}/);
    const visible = textOf(html);
    expect(visible).toContain('2,000');
    expect(visible).toContain('67');
    expect(visible).toContain('ana@example.com');
    expect(visible).toContain('dashboard');
    expect(visible).toContain('Open in Datadog Audit Trail');
    expect(html).toContain(`href="${summary.link.replace(/&/g, '&amp;')}"`);
    expect(text).toContain('Total MCP tool calls: 2000\n');
  });

  it('shows week-over-week deltas only when the previous window exists', () => {
    // Prepare
    const withPrevious = makeSummary({ previous_window: { total_tool_calls: 1600, unique_users: 67 } });
    const withoutPrevious = makeSummary({ previous_window: undefined });

    // Act
    const shown = textOf(renderEmail(buildReportView(withPrevious)).html);
    const hidden = textOf(renderEmail(buildReportView(withoutPrevious)).html);

    // Assess: one phrase per figure, the comparison said once each
    expect(shown).toContain('Tool calls 2,000 ▲ +25% (+400) vs previous week People 67 no change vs previous week');
    expect(shown.match(/previous week/g)).toHaveLength(2);
    expect(hidden).not.toContain('previous week');
  });

  it('never shows a nonzero share as 0% or a change as an arrow with +0%', () => {
    // Prepare: 2 deletions of 48,213 calls; 1,000 → 1,001 calls
    const summary = makeSummary({
      total_tool_calls: 48_213,
      actions_breakdown: [
        { action: 'accessed', count: 48_211 },
        { action: 'deleted', count: 2 },
      ],
      previous_window: { total_tool_calls: 48_212, unique_users: 1000 },
      unique_users: 1001,
    });

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain('deleted 2 <1%');
    expect(visible).toContain('accessed 48,211 >99%');
    expect(visible).toContain('1,001 ▲ +0.1% (+1) vs previous week');
    expect(visible).toContain('48,213 ▲ +1 vs previous week');
    expect(visible).not.toMatch(/ 0%|[+−]0%/);
  });

  it('shows a partial-data banner listing the warnings when the data is incomplete', () => {
    // Prepare
    const partial = makeSummary({ complete: false, warnings: ['Slice 2026-11-18 timed out', 'Datadog warned: x'] });
    const complete = makeSummary();

    // Act
    const partialText = textOf(renderEmail(buildReportView(partial)).html);
    const completeText = textOf(renderEmail(buildReportView(complete)).html);

    // Assess
    expect(partialText).toContain('Partial data.');
    expect(partialText).toContain('Slice 2026-11-18 timed out');
    expect(partialText).toContain('Datadog warned: x');
    expect(completeText).not.toContain('Partial data');
  });

  it('says which rules were not evaluated instead of showing 0 when there is no baseline', () => {
    // Prepare
    const counts = { ...countFlags([]), first_time_user: null, out_of_scope: null, new_country: null };
    const summary = makeSummary({ baseline: undefined, anomaly_counts: counts });

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain('Not evaluated (no baseline): first-time user, out of scope, new country.');
    expect(visible).toContain('No anomalies flagged this week.');
    expect(visible).not.toMatch(/First-time user 0/);
  });

  it('draws one card per high or medium group (the first 8), a line per low group (the first 5), and links to the rest', () => {
    // Prepare: 40 flags of 40 people: 14 high, 20 medium, 6 low groups
    const summary = makeBusySummary(40);

    // Act
    const { html } = renderEmail(buildReportView(summary));

    // Assess
    const visible = textOf(html);
    expect(visible).toContain('40 groups from 40 flags: 40 new');
    // Cards: severity and status, the person, what (the link, in words naming it) and when, why.
    expect(html.match(/border-left:3px solid/g)).toHaveLength(8);
    expect(visible).toContain(
      'Destructive action High · New user0@example.com 1 deletion (monitor ×1) · Tue 17 Nov 11:00 Europe/Berlin High: deleted a type rated high (monitor, dashboard)',
    );
    expect(html).toContain(`href="${summary.anomalies[0]?.link.replace(/&/g, '&amp;')}"`);
    expect((visible.match(/ Low · First-time user · /g) ?? []).length).toBe(5);
    expect(visible).toContain('and 27 more groups (6 high, 20 medium, 1 low) · Open all 40 flags in Datadog →');
    // Never eight "View in Datadog": each link says what it opens.
    expect(html).not.toContain('View in Datadog');
  });

  it('puts the triage first, then the figures, and shows no count table that repeats the cards', () => {
    // Prepare
    const flags = ANOMALY_KINDS.flatMap((kind, i) => [makeFlag({ kind }, 2 * i), makeFlag({ kind }, 2 * i + 1)]);
    const summary = { ...makeBusySummary(), anomalies: flags, anomaly_counts: countFlags(flags) };

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible.indexOf('Anomalies')).toBeLessThan(visible.indexOf('Tool calls'));
    expect(visible).not.toContain('Destructive action 2');
    expect(visible).toContain('16 groups from 16 flags: 16 new');
  });

  it('says a group recurs and for how many weeks, what exceptions accept, what expired and what was resolved', () => {
    // Prepare
    const summary = makeTriageSummary();

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain('3 groups from 3 flags: 1 new, 1 recurring, 1 accepted');
    expect(visible).toContain('Destructive action High · Recurring · 3 weeks user0@example.com');
    expect(visible).toContain('An exception expired on 2026-11-20 (owner secops@example.com: clean-up)');
    expect(visible).toContain('✓ 1 accepted (secops@example.com, until 2026-12-31)');
    expect(visible.slice(0, visible.indexOf('Tool calls'))).not.toContain('bo@example.com');
    expect(visible).toContain('Resolved since last week: High volume · chen@example.com (flagged 2 weeks running)');
  });

  it('says when there was no previous week to compare with', () => {
    // Prepare
    const flags = [makeFlag({}, 0)];
    const note = 'No archived report of the week ending 15 Nov 2026 to compare with: every group is new.';
    const summary = makeSummary({
      anomalies: flags,
      anomaly_counts: countFlags(flags),
      anomaly_groups: [makeGroup(flags[0]!)],
      group_history: { previous_week_end: null, note },
    });

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain(note);
  });

  it('shows the first changes and how many more there are', () => {
    // Prepare
    const summary = makeBusySummary(0);

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain('8,000 calls changed a resource; the newest:');
    expect(visible).toContain('and 7,997 more · See all changes in Datadog →');
    expect(visible).toContain('No anomalies flagged this week.');
  });

  it('stays under 100 KB for a busy week and for 5000 anomalies with 5000-character ids', () => {
    // Prepare
    const busy = makeBusySummary(400);
    const huge = makeHugeSummary(5000);
    const entityHeavy = makeHugeSummary(5000);
    const quotes = '"&<>'.repeat(1250);
    const heavy = {
      ...entityHeavy,
      anomalies: entityHeavy.anomalies.map((f) => ({
        ...f,
        user: quotes,
        action: quotes,
        resource_type: quotes,
        resource_id: quotes,
        detail: quotes,
      })),
    };

    // Every value a chain of break points: '.a.a.a…' takes a <wbr> after each dot
    const dots = '.a'.repeat(2500);
    const dotted = {
      ...entityHeavy,
      top_users: entityHeavy.top_users.map((u) => ({ ...u, user: dots })),
      actions_breakdown: entityHeavy.actions_breakdown.map((a) => ({ ...a, action: dots })),
      resource_types: entityHeavy.resource_types.map((r) => ({ ...r, type: dots })),
      anomalies: entityHeavy.anomalies.map((f) => ({
        ...f,
        user: dots,
        action: dots,
        resource_type: dots,
        detail: dots,
      })),
      changes: {
        ...entityHeavy.changes,
        items: entityHeavy.changes.items.map((c) => ({ ...c, user: dots, resource_type: dots, resource_name: dots })),
      },
      warnings: entityHeavy.warnings.map(() => dots),
    };

    // Tool and client names from the metric at their worst too: break points and entities
    const hostileUsage = {
      ...dotted,
      tools: dotted.tools?.map((t) => ({ ...t, tool: dots })) ?? null,
      clients: dotted.clients?.map((c) => ({ ...c, client: quotes })) ?? null,
    };

    // Act
    const sizes = [busy, huge, heavy, dotted, hostileUsage].map((s) =>
      Buffer.byteLength(renderEmail(buildReportView(s)).html),
    );

    // Assess
    for (const size of sizes) expect(size).toBeLessThan(100_000);
  });

  it('lets a long address break only after @, ., - or _ (every 8 characters at most), never inside an entity', () => {
    // Prepare
    const summary = makeSummary({
      top_users: [
        { user: 'ana.lopez-hernandez@engineering.example.com', calls: 9 },
        { user: 'x&y_z.<b>@example.com', calls: 8 },
        { user: 'bo@example.com', calls: 7 },
      ],
    });

    // Act
    const { html } = renderEmail(buildReportView(summary));

    // Assess
    expect(html).toContain('ana.lopez-<wbr>hernandez@<wbr>engineering.<wbr>example.<wbr>com');
    expect(html).toContain('x&amp;y_z.&lt;b&gt;@<wbr>example.<wbr>com');
    expect(html).toContain('>bo@example.com<');
    expect(html).not.toMatch(/&[#\w]*<wbr>/);
  });
});

describe('email HTML: tools and AI clients', () => {
  it('lists the top 4 tools with calls, share and change, "and N more" linking to the metric, and the top clients', () => {
    // Prepare: 12 tools, 3 clients
    const summary = makeSummary();

    // Act
    const html = renderEmail(buildReportView(summary)).html;
    const visible = textOf(html);

    // Assess
    const tools = visible.slice(visible.indexOf('Tools'), visible.indexOf('AI clients'));
    expect(tools).toContain('search_datadog_logs 650 33% ▼ −9%');
    expect(tools).toContain('search_datadog_monitors 214 11% ▲ +214');
    expect(tools).not.toContain('search_datadog_spans');
    expect(tools).toContain('and 8 more tools (653 calls) · See all tools in Datadog →');
    expect(html).toContain(`href="${summary.tool_usage?.link.replace(/&/g, '&amp;')}"`);
    const clients = visible.slice(visible.indexOf('AI clients'), visible.lastIndexOf('Resources changed'));
    expect(clients).toContain('claude 1,092 calls · 30 people');
    expect(clients).toContain('codex 363 calls · 12 people');
  });

  it('shows a new_client flag with its MCP client and no call time (the metric has none)', () => {
    // Prepare
    const flag = {
      ...makeFlag({ kind: 'new_client', severity: 'low', action: '(multiple)', resource_type: '(multiple)' }, 0),
      resource_id: '(multiple)',
      client: 'cursor',
      count: 5,
    };

    // Act
    const visible = textOf(
      renderEmail(buildReportView(makeSummary({ anomalies: [flag], anomaly_counts: countFlags([flag]) }))).html,
    );

    // Assess
    expect(visible).toContain(
      'Low · New MCP client · user0@example.com · 5 calls through cursor · this week (no call times) · New',
    );
    expect(visible).not.toMatch(/cursor · \w{3} \d+ \w{3} \d\d:\d\d/);
  });

  it('says why they are not shown, and new_client why it was not evaluated', () => {
    // Prepare
    const reason = 'Datadog refused the metric query (HTTP 403): the application key needs the timeseries_query scope';
    const summary = makeSummary({
      tools: null,
      clients: null,
      tool_usage: {
        metric: 'datadog.mcp.tool.usage',
        status: 'unavailable',
        reason,
        link: 'https://app.datadoghq.com/x',
      },
      anomaly_counts: { ...makeSummary().anomaly_counts, new_client: null },
    });

    // Act
    const visible = textOf(renderEmail(buildReportView(summary)).html);

    // Assess
    expect(visible).toContain(`Tools and AI clients not shown: ${reason}`);
    expect(visible).not.toContain('search_datadog_logs');
    expect(visible).toContain('Not evaluated (no usage metric): new mcp client.');
  });
});

describe('fillTemplate', () => {
  it('fills each placeholder once and never re-substitutes placeholders found in values', () => {
    // Act
    const filled = fillTemplate('<p>{{a}}</p><p>{{b}}</p>', { a: '{{b}}', b: 'B' });

    // Assess
    expect(filled).toBe('<p>{{b}}</p><p>B</p>');
  });

  it('refuses a placeholder without a value', () => {
    expect(() => fillTemplate('{{missing}}', {})).toThrow('{{missing}}');
  });
});
