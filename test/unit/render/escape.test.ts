import {
  boundedUrl,
  clipLine,
  escapeHtml,
  escapeSlack,
  escapeWithin,
  inertMrkdwn,
  safeUrl,
  singleLine,
  slackLink,
  truncate,
} from '../../../functions/weekly-report/render/escape';

describe('escapeHtml', () => {
  it('escapes markup, quotes and template braces', () => {
    // Prepare
    const hostile = `"><img src=x onerror=alert(1)> & {{org}} 'x'`;

    // Act
    const escaped = escapeHtml(hostile);

    // Assess
    expect(escaped).toBe('&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#123;&#123;org&#125;&#125; &#39;x&#39;');
  });
});

describe('escapeSlack', () => {
  it('escapes only &, < and > so mentions and links become plain text', () => {
    // Prepare
    const hostile = '<!channel> <@U123> <https://evil|click> a&b "q" *b*';

    // Act
    const escaped = escapeSlack(hostile);

    // Assess
    expect(escaped).toBe('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt; a&amp;b "q" *b*');
  });
});

describe('truncate', () => {
  it('keeps short values and cuts long ones with an ellipsis', () => {
    // Act & Assess
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(Array.from(truncate('x'.repeat(5000), 80))).toHaveLength(80);
  });

  it('never splits a surrogate pair', () => {
    // Prepare
    const emoji = '😀'.repeat(10);

    // Act
    const cut = truncate(emoji, 4);

    // Assess
    expect(cut).toBe('😀😀😀…');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});

describe('clipLine', () => {
  it('is one line of at most max code points, an ellipsis where it cut, even past what it reads', () => {
    expect(clipLine('short\nvalue', 20)).toBe('short value');
    expect(clipLine('x'.repeat(5000), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(clipLine('😀'.repeat(3000), 10)).toBe(`${'😀'.repeat(9)}…`);
    expect(clipLine(`a${'\n'.repeat(5000)}b`, 10)).toBe('a …');
  });
});

describe('escapeWithin', () => {
  it('bounds the escaped length without splitting an entity', () => {
    // Act
    const escaped = escapeWithin('&'.repeat(100), 20, escapeHtml);

    // Assess
    expect(escaped.length).toBeLessThanOrEqual(20);
    expect(escaped).toBe(`${'&amp;'.repeat(3)}…`);
  });
});

describe('singleLine', () => {
  it('replaces CR, LF and other control characters', () => {
    expect(singleLine('a\r\nBcc: x@y\tz')).toBe('a Bcc: x@y z');
  });

  it('shows bidirectional overrides and isolates as \ufffd and drops direction marks', () => {
    expect(singleLine('admin\u202Egnp.exe')).toBe('admin\ufffdgnp.exe');
    expect(singleLine('\u2066a\u2069 \u202Ab\u202C')).toBe('\ufffda\ufffd \ufffdb\ufffd');
    expect(singleLine('x\u200Ey\u200Fz\u061C')).toBe('xyz');
  });
});

describe('inertMrkdwn', () => {
  it('swaps bold, strike and code markers for look-alikes', () => {
    expect(inertMrkdwn('*a* ~b~ `c`')).toBe('\u2217a\u2217 \u223cb\u223c \u02cbc\u02cb');
  });

  it('swaps an underscore only where it could start or end italics', () => {
    expect(inertMrkdwn('_a_ log_query first_last@x.io __init__')).toBe(
      '\u02cda\u02cd log_query first_last@x.io \u02cd\u02cdinit\u02cd\u02cd',
    );
  });
});

describe('safeUrl and slackLink', () => {
  it('percent-encodes characters that would end a Slack link or an attribute', () => {
    // Act
    const link = slackLink('https://app.datadoghq.com/x?q=a|b>c"d e', 'see <all> & more');

    // Assess
    expect(link).toBe('<https://app.datadoghq.com/x?q=a%7Cb%3Ec%22d%20e|see &lt;all&gt; &amp; more>');
  });

  it('refuses non-http schemes', () => {
    expect(safeUrl('javascript:alert(1)')).toBe('https://app.datadoghq.com/audit-trail');
  });

  it('falls back to a shorter link when a deep link is too long', () => {
    // Prepare
    const long = `https://app.datadoghq.eu/audit-trail?query=${'x'.repeat(3000)}`;

    // Act & Assess
    expect(boundedUrl(long, 'https://app.datadoghq.eu/audit-trail?query=all', 2000)).toBe(
      'https://app.datadoghq.eu/audit-trail?query=all',
    );
    expect(boundedUrl(long, '', 2000)).toBe('https://app.datadoghq.eu/audit-trail');
  });
});
