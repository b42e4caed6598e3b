/**
 * Hostile audit data: Slack mentions and links, HTML injection, template syntax, very long
 * ids and non-Latin text in every audit-derived field must come out inert in both media.
 */

import { renderReport } from '../../../functions/weekly-report/render';
import { formatTextReport } from '../../../functions/weekly-report/render/text-report';
import { slackMessageToHtml } from '../../../scripts/lib/slack-preview';
import { allStrings, slackLimitViolations } from '../../support/slack-limits';
import {
  countFlags,
  HOSTILE_VALUES,
  makeFlag,
  makeHostileSummary,
  makeSummary,
  makeToolUsage,
} from '../../support/summary-fixtures';

const CHANNEL = 'C0123456789';
/** Our own links: the only `<…>` allowed in Slack text. */
const OWN_LINK = /<https:\/\/app\.datadoghq\.com\/[^|<>\s]*\|[^<>]*>/g;
/** Bidirectional embeddings, overrides, isolates and marks. */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const ALLOWED_TAGS = new Set(
  'a b body br div head html li meta noscript o:allowpng o:officedocumentsettings o:pixelsperinch p span strong style table tbody td title tr ul wbr xml'.split(
    ' ',
  ),
);

describe('rendering hostile audit data', () => {
  it('leaves no mention, channel ping or forged link in the Slack message', () => {
    // Prepare
    const summary = makeHostileSummary();

    // Act
    const { slack } = renderReport(summary, { slackChannel: CHANNEL });

    // Assess
    const strings = [slack.post, ...slack.thread].flatMap((m) => allStrings({ text: m.text, blocks: m.blocks }));
    for (const s of strings) {
      // Our own links and our quote markers (a `>` opening a line) are the only markup allowed.
      const withoutOwnLinks = s.replace(OWN_LINK, '').replace(/(^|\n)>/g, '$1');
      expect(withoutOwnLinks).not.toMatch(/[<>]/);
      expect(withoutOwnLinks).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    const json = JSON.stringify(slack);
    expect(json).not.toMatch(/<[!@#]/);
    expect(json).not.toContain('<https://evil');
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).toContain('&lt;https://evil.example|click&gt;');
    expect(json).toContain('東京');
    for (const message of [slack.post, ...slack.thread]) expect(slackLimitViolations(message)).toEqual([]);
  });

  it('makes every mrkdwn text verbatim so Slack does not parse names or mentions itself', () => {
    // Act
    const { slack } = renderReport(makeHostileSummary(), { slackChannel: CHANNEL });

    // Assess
    const texts =
      JSON.stringify(slack).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*","verbatim":(true|false)/g) ?? [];
    expect(texts.length).toBeGreaterThan(5);
    for (const t of texts) expect(t.endsWith('"verbatim":true')).toBe(true);
  });

  it('leaves no markup, script, event handler or template syntax from data in the email', () => {
    // Prepare
    const summary = makeHostileSummary();

    // Act
    const { html, subject } = renderReport(summary, { slackChannel: CHANNEL });

    // Assess
    const tags = new Set(Array.from(html.matchAll(/<([a-zA-Z][\w:-]*)/g), (m) => (m[1] ?? '').toLowerCase()));
    expect([...tags].filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
    expect(html).not.toMatch(/\{\{|\}\}/);
    const hrefs = Array.from(html.matchAll(/href="([^"]*)"/g), (m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(3);
    for (const href of hrefs) expect(href).toMatch(/^https:\/\/app\.datadoghq\.com\//);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&#123;&#123;org&#125;&#125;');
    expect(html).toContain('Москва');
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it('treats tool and client names from the metric as data: escaped in the email, Slack and the text', () => {
    // Prepare: only the tool and client names are hostile
    const summary = makeSummary({
      ...makeToolUsage(500, ['<script>alert(1)</script>', '<!channel>', '{{org}}', '*bold* _it_'], ['<@U123>', 'a&b']),
    });

    // Act
    const { html, text, slack } = renderReport(summary, { slackChannel: CHANNEL });

    // Assess
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&#123;&#123;org&#125;&#125;');
    expect(html).not.toContain('<script>alert');
    const json = JSON.stringify(slack);
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).toContain('&lt;@U123&gt;');
    expect(json).toContain('a&amp;b');
    expect(json).not.toMatch(/<[!@#]/);
    expect(json).toContain('∗bold∗');
    expect(text).toContain('  <!channel>: ');
  });

  it('truncates 5000-character values with an ellipsis in both media', () => {
    // Prepare
    const long = HOSTILE_VALUES.find((v) => v.length >= 5000) ?? '';

    // Act
    const { html, slack } = renderReport(makeHostileSummary(), { slackChannel: CHANNEL });

    // Assess
    expect(long.length).toBe(5000);
    expect(html).not.toContain(long.slice(0, 200));
    expect(html).toMatch(/xñ+…/);
    expect(JSON.stringify(slack)).not.toContain(long.slice(0, 200));
    expect(JSON.stringify(slack)).toMatch(/xñ+…/);
  });

  it('lets no bidirectional control reach any medium, and shows where an override was', () => {
    // Prepare
    const summary = makeHostileSummary();

    // Act
    const { html, text, subject, slack } = renderReport(summary, { slackChannel: CHANNEL });
    const standalone = formatTextReport(summary);

    // Assess
    const slackStrings = [slack.post, ...slack.thread].flatMap((m) => allStrings({ text: m.text, blocks: m.blocks }));
    for (const output of [html, text, subject, standalone, ...slackStrings]) {
      expect(output).not.toMatch(BIDI);
    }
    const spoof = 'admin\u202Egnp.exe@example.com';
    const shown = renderReport(makeSummary({ org: spoof, top_users: [{ user: spoof, calls: 9 }] }), {
      slackChannel: CHANNEL,
    });
    for (const output of [shown.html, shown.text, shown.subject, JSON.stringify(shown.slack)]) {
      expect(output).toContain('admin\ufffdgnp.exe');
    }
  });

  it('keeps Slack formatting characters in data from formatting the post', () => {
    // Prepare: the value where the post surely shows it: a top user, an action, a flag, a change
    const marked = '*bold* _italic_ ~struck~';
    const flag = makeFlag({ user: marked, detail: marked, resource_type: marked }, 0);
    const summary = makeSummary({
      top_users: [{ user: marked, calls: 9 }],
      actions_breakdown: [{ action: marked, count: 9 }],
      anomalies: [flag],
      anomaly_counts: countFlags([flag]),
      changes: { total: 1, items: [{ ...flag, kind: 'mcp_tool_call', resource_name: marked }] },
    });

    // Act
    const { slack } = renderReport(summary, { slackChannel: CHANNEL });
    const drawn = slackMessageToHtml(slack.post, { thread: slack.thread });

    // Assess: the data's words are shown, never bold, italic or struck through by the data's own markers
    const json = JSON.stringify(slack);
    expect(json).not.toContain('*bold*');
    expect(json).not.toContain('_italic_');
    expect(json).not.toContain('~struck~');
    expect(drawn).toContain('italic');
    expect(drawn).not.toMatch(/<(b|i|s)>[^<]*\b(bold|italic|struck)\b[^<]*<\/\1>/);
  });
});
