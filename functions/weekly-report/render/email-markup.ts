/**
 * The email's markup pieces: its limits, colours, table and link patterns, and the one way an
 * audit value enters the HTML (escaped, cut by characters and by bytes, with line-break
 * opportunities). Tables and inline styles only, as classic Outlook, Gmail and Apple Mail all draw
 * them (DESIGN.md "Delivery").
 */

import { clipBytes, clipLine, escapeHtml, escapeWithin, safeUrl } from './escape';
import type { Colour } from './view';

/**
 * How much of each list the email shows before "and N more" (a link to the rest in Datadog), and
 * how long a value may be. The sections beyond the first screens show their top entries only.
 */
export interface EmailLimits {
  /** High and medium groups drawn as cards; the rest are counted with a link. */
  readonly cards: number;
  /** Low groups listed one line each. */
  readonly lowGroups: number;
  /** Groups resolved since last week, listed by name. */
  readonly resolved: number;
  readonly topUsers: number;
  readonly breakdown: number;
  readonly tools: number;
  readonly clients: number;
  readonly agents: number;
  readonly changes: number;
  readonly warnings: number;
  readonly days: number;
  /** Longest audit-derived value shown, in code points (and 1.5 times as many bytes: see `value`). */
  readonly value: number;
  /** Values inside a group card or a one-line list. */
  readonly anomalyValue: number;
  readonly warning: number;
  /** Longest deep link kept; longer ones fall back to the window's link. */
  readonly link: number;
}

/** The email as it is normally drawn. */
export const EMAIL_LIMITS: EmailLimits = {
  cards: 8,
  lowGroups: 5,
  resolved: 5,
  topUsers: 5,
  breakdown: 5,
  tools: 4,
  clients: 3,
  agents: 3,
  changes: 3,
  warnings: 5,
  days: 62,
  value: 64,
  anomalyValue: 48,
  warning: 300,
  link: 600,
};

/**
 * Ever tighter limits, tried in turn until the HTML fits its byte budget (email.ts): a week whose
 * every value is long non-Latin text must still arrive unclipped.
 */
export const EMAIL_LIMIT_STEPS: readonly EmailLimits[] = [
  EMAIL_LIMITS,
  {
    ...EMAIL_LIMITS,
    cards: 6,
    lowGroups: 3,
    resolved: 3,
    topUsers: 5,
    breakdown: 4,
    tools: 4,
    clients: 3,
    agents: 3,
    warnings: 3,
    days: 31,
    value: 40,
    anomalyValue: 32,
    warning: 160,
    link: 500,
  },
  {
    ...EMAIL_LIMITS,
    cards: 3,
    lowGroups: 2,
    resolved: 2,
    topUsers: 3,
    breakdown: 3,
    tools: 3,
    clients: 2,
    agents: 2,
    changes: 2,
    warnings: 2,
    days: 14,
    value: 24,
    anomalyValue: 20,
    warning: 100,
    link: 400,
  },
];

/** Text colours each read at 4.5:1 or more on the backgrounds they are used on (test/unit/render/contrast.test.ts). */
export const COLORS = {
  text: '#1f2937',
  /** Secondary text: 5.1:1 even on the footer's grey. */
  muted: '#5f6775',
  rule: '#eef0f3',
  bar: '#7c95e0',
  barPeak: '#2f5bd3',
  track: '#eef1f8',
  link: '#2f5bd3',
} as const;

/** A severity's colours in the email, by the view's colour of it. */
export const SEVERITY_STYLE: Readonly<Record<Colour, { fg: string; bg: string; border: string }>> = {
  red: { fg: '#b42318', bg: '#fef3f2', border: '#d92d20' },
  orange: { fg: '#b54708', bg: '#fffaeb', border: '#f79009' },
  blue: { fg: '#175cd3', bg: '#eff8ff', border: '#2e90fa' },
};

/** A table that lets long unbroken values wrap instead of widening the email. */
export const TABLE = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';
export const TABLE_STYLE = 'width:100%;table-layout:fixed;border-collapse:collapse;';
export const WRAP = 'word-break:break-word;overflow-wrap:anywhere;';

/**
 * Escaped, truncated audit value: at most `max` code points shown and at most `1.5 × max` bytes
 * of UTF-8 (CJK text, 3 bytes a character and twice as wide as Latin, shows half as many; an emoji
 * a third), and at most `max + 40` escaped characters, so values made of `&` or `"` or of
 * non-Latin text cannot blow the byte budget. A long address or id may break after `@`, `.`, `-`
 * or `_` (a `<wbr>` there) rather than mid-word.
 */
export function value(raw: string, max: number = EMAIL_LIMITS.value): string {
  return breakable(escapeWithin(clipBytes(clipLine(raw, max), Math.round(max * 1.5)), max + 40, escapeHtml));
}

/** Fewest characters between two `<wbr>`: closer break points do not help a line and only add bytes. */
const WBR_SPACING = 8;

/**
 * A `<wbr>` after an `@`, `.`, `-` or `_` that is followed by a letter or digit, in text that is
 * already escaped (an entity counts as one character and is never split); at most one every
 * eight characters, so a value made of dots cannot multiply its size. Short values need none.
 */
export function breakable(escaped: string): string {
  if (escaped.length < 16 || !BREAK_POINT.test(escaped)) return escaped;
  let entityExtra = 0;
  let lastBreak = 0;
  return escaped.replace(BREAK_OR_ENTITY, (match: string, offset: number) => {
    if (match.length > 1) {
      entityExtra += match.length - 1;
      return match;
    }
    const position = offset - entityExtra + 1;
    if (position - lastBreak < WBR_SPACING) return match;
    lastBreak = position;
    return `${match}<wbr>`;
  });
}

/** A break character followed by a letter or digit. */
const BREAK_POINT = /[@._-][\p{L}\p{N}]/u;
/** An entity (one character as shown) or a break character followed by a letter or digit. */
const BREAK_OR_ENTITY = /&[#\w]+;|[@._-](?=[\p{L}\p{N}])/gu;

export function link(url: string, label: string): string {
  return `<a href="${escapeHtml(safeUrl(url))}" style="color:${COLORS.link};text-decoration:none;font-weight:600;white-space:nowrap;">${escapeHtml(label)}</a>`;
}

/** A horizontal bar as a table cell (no images, so Outlook and Gmail draw it); lean, as lists repeat it. */
export function bar(fraction: number, color: string, height: number): string {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 1000) / 10));
  const cell = `height="${height}" style="height:${height}px;font-size:0;line-height:0;`;
  const fill = pct > 0 ? `<td width="${pct}%" bgcolor="${color}" ${cell}border-radius:2px;">&nbsp;</td>` : '';
  const rest = pct < 100 ? `<td ${cell}">&nbsp;</td>` : '';
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="table-layout:fixed;">${`<tr>${fill}${rest}</tr>`}</table>`;
}

/** A heading inside a fragment, looking like the template's section headings. */
export function heading(text: string, top = 0): string {
  return `<p style="margin:${top}px 0 8px;font-size:16px;line-height:22px;font-weight:700;">${text}</p>`;
}

/** `▲ +9% (+50)` escaped, the arrow kept with its number. */
export function arrowed(change: string): string {
  return escapeHtml(change).replace(/^([▲▼]) /, '$1&nbsp;');
}
