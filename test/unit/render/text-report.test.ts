/**
 * The text part and `summarize --format text`: the seed's "Output Format" lines stay exactly
 * parseable, lists are capped as the email caps them, and anomaly lines wrap at 78 columns.
 */
import { formatTextReport, TEXT_WIDTH } from '../../../functions/weekly-report/render/text-report';
import {
  countFlags,
  makeBusySummary,
  makeFlag,
  makeHostileSummary,
  makeHugeSummary,
  makeSummary,
} from '../../support/summary-fixtures';

/** The lines of one section: from its heading to the next blank line. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end);
}

describe('formatTextReport', () => {
  it('prints the seed figures in plain digits with each change on its own line', () => {
    // Prepare: 48,213 calls against 51,002; 412 people against 398
    const summary = makeBusySummary(3);

    // Act
    const text = formatTextReport(summary);

    // Assess
    const lines = text.split('\n');
    const total = lines.findIndex((l) => l.startsWith('Total MCP tool calls:'));
    expect(lines.slice(total, total + 4)).toEqual([
      'Total MCP tool calls: 48213',
      '  Change vs previous window: -2789 (-5%; previous 51002)',
      'Unique users: 412',
      '  Change vs previous window: +14 (+4%; previous 398)',
    ]);
    expect(Number(/^Total MCP tool calls: (\d+)$/m.exec(text)?.[1])).toBe(summary.total_tool_calls);
    expect(Number(/^Unique users: (\d+)$/m.exec(text)?.[1])).toBe(summary.unique_users);
  });

  it('gives a small change a decimal or its count, never +0%', () => {
    // Act
    const text = formatTextReport(
      makeSummary({
        total_tool_calls: 100_001,
        unique_users: 1001,
        previous_window: { total_tool_calls: 100_000, unique_users: 1000 },
      }),
    );

    // Assess
    expect(text).toContain('Total MCP tool calls: 100001\n  Change vs previous window: +1 (previous 100000)\n');
    expect(text).toContain('Unique users: 1001\n  Change vs previous window: +1 (+0.1%; previous 1000)\n');
  });

  it('leaves the change lines out without a previous window', () => {
    const text = formatTextReport(makeSummary({ previous_window: undefined }));
    expect(text).toContain('Total MCP tool calls: 2000\nUnique users: 67\n');
  });

  it('cuts actions and resource types as the email does, with "and N more"', () => {
    // Act
    const text = formatTextReport(makeBusySummary(0));

    // Assess: 14 resource types, 8 shown
    const types = section(text, 'Resource types affected:');
    expect(types).toHaveLength(9);
    expect(types[8]).toBe('  and 6 more resource types (22200 calls)');
    for (const line of types.slice(0, 8)) expect(line).toMatch(/^ {2}resource_type_\d+: \d+$/);
  });

  it('lists the top 10 tools with their calls, share and change, then "and N more", and every AI client', () => {
    // Prepare: 12 tools, 3 clients
    const summary = makeSummary();

    // Act
    const text = formatTextReport(summary);

    // Assess
    const tools = section(text, 'Tools (datadog.mcp.tool.usage):');
    expect(tools).toHaveLength(11);
    expect(tools[0]).toBe('  search_datadog_logs: 650 (33%), -65 (-9%) vs previous window');
    expect(tools[2]).toBe('  search_datadog_monitors: 214 (11%), none in previous window');
    expect(tools[10]).toBe('  and 2 more tools (111 calls)');
    expect(section(text, 'AI clients:')).toEqual([
      '  claude: 1092 calls, 30 people',
      '  cursor: 545 calls, 21 people',
      '  codex: 363 calls, 12 people',
    ]);
    expect(text.indexOf('AI clients:')).toBeLessThan(text.indexOf('Anomalies:'));
  });

  it('says why there are no tools or clients, in one wrapped note', () => {
    // Prepare
    const reason =
      'Datadog refused the metric query (HTTP 403) at site datadoghq.com (api.datadoghq.com): the application key needs the timeseries_query scope';
    const summary = makeSummary({
      tools: null,
      clients: null,
      tool_usage: { metric: 'datadog.mcp.tool.usage', status: 'unavailable', reason, link: 'https://x' },
    });

    // Act
    const note = section(formatTextReport(summary), 'Tools and AI clients:');

    // Assess
    expect(note.join(' ').replace(/\s+/g, ' ')).toBe(` not shown: ${reason}`);
    for (const line of note) expect([...line].length).toBeLessThanOrEqual(TEXT_WIDTH);
  });

  it('shows hostile tool and client names as plain, bounded text', () => {
    // Act
    const text = formatTextReport(makeHostileSummary());

    // Assess
    const lines = [...section(text, 'Tools (datadog.mcp.tool.usage):'), ...section(text, 'AI clients:')];
    expect(lines.some((l) => l.includes('<!channel>'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    for (const line of lines) expect([...line].length).toBeLessThan(200);
  });

  it('keeps a week of 5000 anomalies, 500 actions and 100 notes small', () => {
    // Act
    const text = formatTextReport(makeHugeSummary(5000));

    // Assess
    expect(Buffer.byteLength(text)).toBeLessThan(40_000);
    expect(section(text, 'Actions breakdown:').at(-1)).toBe('  and 492 more actions (121278 calls)');
    // One person's 5000 deletions: one group.
    expect(section(text, 'Anomalies:')[0]).toBe('  1 group from 5,000 flags: 1 new');
    expect(text).toContain('  - and 90 more\n');
  });

  it('lists one group per kind and person: severity, rule, person, status; what, when and why', () => {
    // Prepare: one person's three deletions of two types, another's first use
    const flags = [
      makeFlag({ user: 'dana@example.com', resource_type: 'monitor' }, 0),
      makeFlag({ user: 'dana@example.com', resource_type: 'monitor' }, 1),
      makeFlag({ user: 'dana@example.com', resource_type: 'notebook', severity: 'medium' }, 2),
      makeFlag({ kind: 'first_time_user', severity: 'low', user: 'eli@example.com', detail: 'First MCP use' }, 3),
    ];
    const summary = makeSummary({ anomalies: flags, anomaly_counts: countFlags(flags) });

    // Act
    const anomalies = section(formatTextReport(summary), 'Anomalies:');

    // Assess
    expect(anomalies).toEqual([
      '  2 groups from 4 flags: 2 new',
      '  [high] Destructive action · dana@example.com · new',
      '      3 deletions (monitor ×2, notebook ×1) · Tue 17 Nov 10:00–10:02 UTC',
      '      High: deleted a type rated high (monitor, dashboard)',
      '  [low] First-time user · eli@example.com · new',
      '      first use, 1 event · Tue 17 Nov 10:03 UTC',
      '      Low: a first use, rarely a risk',
      '      First MCP use',
      '  Flags per rule: destructive_action 3, support_user 0, first_time_user 1,',
      '    high_volume 0, out_of_scope 0, new_country 0, new_client 0',
    ]);
  });

  it('wraps group lines at 78 columns, continuing each with a deeper indent', () => {
    // Prepare
    const detail = `Deleted monitor "${'Checkout latency p99 '.repeat(8).trim()}" through the MCP server`;
    const flag = makeFlag({ detail, user: `ana.${'x'.repeat(100)}@example.com` });
    const summary = makeSummary({ anomalies: [flag], anomaly_counts: countFlags([flag]) });

    // Act
    const anomalies = section(formatTextReport(summary), 'Anomalies:');

    // Assess
    for (const line of anomalies) expect([...line].length).toBeLessThanOrEqual(TEXT_WIDTH);
    expect(anomalies[1]).toBe('  [high] Destructive action ·');
    expect(anomalies[2]).toMatch(/^ {6}ana\.x+$/);
    expect(anomalies[3]).toMatch(/^ {6}x+@example\.com · new$/);
    const detailLines = anomalies.filter((l) => /Checkout|through/.test(l));
    expect(detailLines[0]).toMatch(/^ {6}Deleted monitor "Checkout/);
    for (const line of detailLines.slice(1)) expect(line).toMatch(/^ {8}\S/);
    expect(detailLines.map((l) => l.trim()).join(' ')).toBe(detail);
  });
});
