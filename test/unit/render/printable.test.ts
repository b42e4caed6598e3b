/**
 * The printable rule of plain text (render/plain-text.ts): control characters from audit data or
 * from an archived week are shown escaped, never passed to a terminal or into the email's text
 * part, where they could clear the screen, set a window title or forge a line.
 */
import { renderReport } from '../../../functions/weekly-report/render';
import { printable, printableText } from '../../../functions/weekly-report/render/plain-text';
import { formatTextReport, plain } from '../../../functions/weekly-report/render/text-report';
import { countFlags, makeFlag, makeSummary, makeToolUsage } from '../../support/summary-fixtures';

/** Any control character, line separator or lone surrogate but the line feed. */
const UNPRINTABLE_BUT_LF = /(?!\n)[\p{Cc}\u2028\u2029]|\p{Cs}/u;

/** Escape sequences and line breaks as an attacker would plant them in audit data or an archived summary. */
const CONTROL_VALUES: readonly string[] = [
  '\x1b[2J\x1b[H cleared',
  '\x1b]0;pwned\x07 titled',
  'ana@example.com\r\nForged: line',
  'nul\x00byte',
  'c1\x9b31m csi',
  'line\u2028separator\u2029paragraph',
  'tab\there del\x7f',
  'lone \ud800 surrogate',
];

/** A week whose every audit-derived string holds control characters, and whose trend has an archived string figure. */
function controlSummary() {
  const pick = (i: number): string => CONTROL_VALUES[i % CONTROL_VALUES.length]!;
  const flags = CONTROL_VALUES.map((_, i) =>
    makeFlag(
      { user: pick(i), action: pick(i + 1), resource_type: pick(i + 2), resource_id: pick(i + 3), detail: pick(i + 4) },
      i,
    ),
  );
  const base = makeSummary();
  return makeSummary({
    org: 'Acme\x1b]0;owned\x07',
    scope: { label: 'user \x1b[31mred' },
    top_users: CONTROL_VALUES.map((user, i) => ({ user, calls: 100 - i })),
    actions_breakdown: CONTROL_VALUES.map((action, i) => ({ action, count: 50 - i })),
    resource_types: CONTROL_VALUES.map((type, i) => ({ type, count: 40 - i })),
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    changes: {
      total: CONTROL_VALUES.length,
      items: CONTROL_VALUES.map((v, i) => ({
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString(),
        user: pick(i),
        action: pick(i + 1),
        resource_type: pick(i + 2),
        resource_id: pick(i + 3),
        resource_name: v,
      })),
    },
    ...makeToolUsage(900, CONTROL_VALUES, CONTROL_VALUES),
    warnings: [...CONTROL_VALUES],
    trend: [
      // As an archived summary.json read back: a string where the week's calls belong.
      {
        week_end: '2026-11-16T00:00:00.000Z',
        calls: '12\nForged line\x1b[2J' as unknown as number,
        people: 3,
        anomalies: { high: 0, medium: 0, low: 0 },
        complete: true,
      },
      {
        week_end: base.window.to,
        calls: base.total_tool_calls,
        people: base.unique_users,
        anomalies: { high: 0, medium: 0, low: 0 },
        complete: true,
      },
    ],
  });
}

describe('printable', () => {
  it('shows each control character as its escape, keeps the rest, and changes nothing twice', () => {
    // Act
    const shown = CONTROL_VALUES.map(printable);

    // Assess
    expect(shown.slice(0, 3)).toEqual([
      '\\u001b[2J\\u001b[H cleared',
      '\\u001b]0;pwned\\u0007 titled',
      'ana@example.com\\u000d\\u000aForged: line',
    ]);
    expect(printable('c1\x9b31m')).toBe('c1\\u009b31m');
    expect(printable('lone \ud800 pair 👩🏽‍💻')).toBe('lone \\ud800 pair 👩🏽‍💻');
    expect(printable('Zürich — 東京 — مرحبا')).toBe('Zürich — 東京 — مرحبا');
    for (const s of shown) {
      expect(s).not.toMatch(/[\p{Cc}\u2028\u2029]|\p{Cs}/u);
      expect(printable(s)).toBe(s);
    }
  });

  it('keeps the line feeds of a whole text and escapes the rest', () => {
    expect(printableText('a\x1b[2J\nb\r\nc')).toBe('a\\u001b[2J\nb\\u000d\nc');
  });

  it('never cuts an escape in half when it shortens a value', () => {
    // Prepare: the escape of ESC would straddle the cut at 200 code points
    const value = `${'x'.repeat(197)}\x1b[2J and more`;

    // Act
    const shown = plain(value);

    // Assess
    expect(shown).toBe(`${'x'.repeat(197)}…`);
  });
});

describe('the text report of hostile data', () => {
  it('holds no control character but the line feed, in the email text part and the command line text', () => {
    // Prepare
    const summary = controlSummary();

    // Act
    const { text, subject } = renderReport(summary, { slackChannel: 'C0123456789' });
    const printed = formatTextReport(summary);

    // Assess
    for (const output of [text, printed]) {
      expect(output).not.toMatch(UNPRINTABLE_BUT_LF);
      // No value starts a line of its own: every line is one the report wrote.
      expect(output.split('\n').filter((line) => /^\s*Forged/.test(line))).toEqual([]);
      expect(output).toContain('\\u001b[2J');
      expect(output).toContain('Weekly calls, last 2 weeks: 12\\u000aForged line\\u001b[2J ');
    }
    expect(text.split('\n')[0]).toBe(
      'AI Activity Audit — Acme\\u001b]0;owned\\u0007 (user \\u001b[31mred) — 2026-11-16 to 2026-11-22',
    );
    expect(subject).not.toMatch(UNPRINTABLE_BUT_LF);
  });
});
