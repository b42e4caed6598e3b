/**
 * The Slack post preview page: mrkdwn → HTML conversion, hostile (already mrkdwn-escaped) text
 * staying inert, and unknown or malformed blocks rendering as placeholders instead of crashing.
 */
import { buildSlackReport } from '../../../functions/weekly-report/render/slack-blocks';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { mrkdwnToHtml, slackMessageToHtml } from '../../../scripts/lib/slack-preview';
import { makeBusySummary, makeHostileSummary } from '../../support/summary-fixtures';

function sectionMessage(text: string): { text: string; blocks: unknown[] } {
  return { text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }] };
}

/** Tag names in `html`, e.g. `['a', 'b', 'br']`, so tests can say which tags may appear. */
function tagNames(html: string): Set<string> {
  return new Set(Array.from(html.matchAll(/<([a-z][a-z0-9-]*)/gi), (m) => (m[1] ?? '').toLowerCase()));
}

describe('mrkdwn to HTML', () => {
  it.each([
    ['*Tool calls*', '<b>Tool calls</b>'],
    ['_+17% vs previous week_', '<i>+17% vs previous week</i>'],
    ['~gone~', '<s>gone</s>'],
    ['`mon-1000`', '<code>mon-1000</code>'],
    ['```a *b*```', '<pre>a *b*</pre>'],
    ['line one\nline two', 'line one<br>line two'],
    ['*bold _and italic_*', '<b>bold <i>and italic</i></b>'],
    ['<https://app.datadoghq.com/x?a=1&b=2|view>', '<a href="https://app.datadoghq.com/x?a=1&amp;b=2">view</a>'],
    ['<https://app.datadoghq.com/x>', '<a href="https://app.datadoghq.com/x">https://app.datadoghq.com/x</a>'],
    ['*<https://a.example|label>*', '<b><a href="https://a.example">label</a></b>'],
    ['<!here>', '<span class="mention">@here</span>'],
    ['<@U123|ana>', '<span class="mention">@ana</span>'],
    ['*Flag* · x\n>why it was flagged\nnext', '<b>Flag</b> · x<div class="quote">why it was flagged</div>next'],
    ['&gt;stored quote', '<div class="quote">stored quote</div>'],
  ])('converts %j', (input, expected) => {
    // Act
    const html = mrkdwnToHtml(input);

    // Assess
    expect(html).toBe(expected);
  });

  it('leaves markers inside words and code spans alone', () => {
    // Act
    const html = mrkdwnToHtml('security_rule_payments 2*3*4 `*not bold*` a ~ b ~ c');

    // Assess
    expect(html).toBe('security_rule_payments 2*3*4 <code>*not bold*</code> a ~ b ~ c');
  });

  it('decodes Slack entities exactly once and escapes the result for HTML', () => {
    // Act
    const html = mrkdwnToHtml('A &amp; B &lt;tag&gt; &amp;lt;kept&amp;gt; "q" \'s\' {x} &quot;');

    // Assess
    expect(html).toBe('A &amp; B &lt;tag&gt; &amp;lt;kept&amp;gt; &quot;q&quot; &#39;s&#39; &#123;x&#125; &amp;quot;');
  });

  it('draws the shortcodes our post uses and leaves others as text', () => {
    // Act
    const html = mrkdwnToHtml(':red_circle: :warning: :not_an_emoji:');

    // Assess
    expect(html.match(/class="emoji/g)).toHaveLength(2);
    expect(html).toContain(':not_an_emoji:');
  });
});

describe('hostile text in the preview', () => {
  it('shows an escaped script tag as text, never as a tag', () => {
    // Prepare
    const message = sectionMessage('&lt;script&gt;alert(1)&lt;/script&gt;');

    // Act
    const page = slackMessageToHtml(message);

    // Assess
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/<script/i);
  });

  it('keeps an escaped <!channel> and escaped links as plain text', () => {
    // Prepare
    const message = sectionMessage('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;');

    // Act
    const page = slackMessageToHtml(message);

    // Assess
    expect(page).toContain('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;');
    expect(page).not.toContain('class="mention"');
    expect(page).not.toContain('href="https://evil.example');
  });

  it('does not link a non-web URL and cannot break out of the href', () => {
    // Act
    const scheme = mrkdwnToHtml('<javascript:alert(1)|click>');
    const quote = mrkdwnToHtml('<https://a.example/"onmouseover="alert(1)|x>');

    // Assess
    expect(scheme).toBe('click');
    expect(quote).toBe('<a href="https://a.example/&quot;onmouseover=&quot;alert(1)">x</a>');
  });

  it('cannot smuggle in the converter’s own placeholders', () => {
    // Act
    const html = mrkdwnToHtml('<https://a.example|ok> \u00000\u0000');

    // Assess
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html).toContain('\uFFFD0\uFFFD');
  });

  it('renders a whole hostile summary with only the preview’s own tags and Datadog links', () => {
    // Prepare
    const { post: message, thread } = buildSlackReport(buildReportView(makeHostileSummary()), 'C0123456789');

    // Act
    const page = slackMessageToHtml(message, { thread });

    // Assess
    const allowed = new Set([
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'div',
      'span',
      'a',
      'b',
      'i',
      'br',
      'code',
      // The thread's daily and weekly tables (code blocks).
      'pre',
      'hr',
    ]);
    expect([...tagNames(page)].filter((t) => !allowed.has(t))).toEqual([]);
    const hrefs = Array.from(page.matchAll(/href="([^"]*)"/g), (m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^https:\/\/app\.datadoghq\.com\//);
    expect(page).toContain('AI Activity Audit — Acme &lt;b&gt;&amp;&lt;/b&gt; &#123;&#123;org&#125;&#125;');
  });
});

describe('Slack post preview page', () => {
  it('shows the app, the header and every block of the weekly post, and its thread reply below it', () => {
    // Prepare
    const { post, thread } = buildSlackReport(buildReportView(makeBusySummary(40)), 'C0123456789');

    // Act
    const page = slackMessageToHtml(post, { channelName: 'ai-audit', time: '9:00 AM', thread });

    // Assess
    expect(page).toContain('<span class="name">AI Activity Audit</span><span class="badge">APP</span>');
    expect(page).toContain('<div class="header">AI Activity Audit — Acme Corporation</div>');
    expect(page).toContain('ai-audit');
    expect(page).toContain('<div class="replies">1 reply</div>');
    expect(page.indexOf('<div class="thread-bar">Thread</div>')).toBeGreaterThan(page.indexOf('class="replies"'));
    const dividers = [post, ...thread].flatMap((m) => m.blocks).filter((b) => b.type === 'divider').length;
    expect(page.match(/<hr>/g)).toHaveLength(dividers);
    // The daily and weekly tables are code blocks (legible in both themes), never inline code.
    expect(page).toContain('<pre>Mon 16 Nov');
    expect(page).toContain('<div class="fields">');
    expect(page).not.toContain('class="unknown"');
  });

  it('shows the notification text when there are no blocks', () => {
    // Act
    const page = slackMessageToHtml({ text: 'Only *text* &amp; more', blocks: [] });

    // Assess
    expect(page).toContain('Only <b>text</b> &amp; more');
  });

  it('renders unknown or malformed blocks as a placeholder naming the type', () => {
    // Prepare
    const message = {
      text: 'x',
      blocks: [
        { type: 'actions', elements: [] },
        { type: '<img src=x>' },
        null,
        'divider',
        { type: 'section', text: 42, fields: [{}, null], accessory: { type: 'button' } },
        { type: 'context', elements: 'nope' },
        { type: 'header' },
      ],
    };

    // Act
    const page = slackMessageToHtml(message);

    // Assess
    expect(page).toContain('[actions block]');
    expect(page).toContain('[&lt;img src=x&gt; block]');
    expect(page.match(/\[not a block\]/g)).toHaveLength(2);
    expect(page).toContain('[button]');
    expect(page).not.toContain('<img');
  });
});
