/**
 * The email's markup pieces: its limits, colours, table and link patterns, and the one way an
 * audit value enters the HTML (escaped, cut, with line-break opportunities). Tables and inline
 * styles only, as classic Outlook, Gmail and Apple Mail all draw them (DESIGN.md "Delivery").
 */

import { clipLine, escapeHtml, escapeWithin, safeUrl } from './escape';
import type { Colour } from './view';

/** How many items of each list the email shows before "and N more". */
export const EMAIL_LIMITS = {
  topUsers: 10,
  breakdown: 8,
  anomalies: 25,
  changes: 5,
  warnings: 10,
  days: 62,
  /** Longest audit-derived value shown, in code points. */
  value: 64,
  detail: 160,
  /** Values inside an anomaly card, where 25 cards must fit the budget. */
  anomalyValue: 48,
  warning: 300,
  /** Longest deep link kept; longer ones fall back to the window's link. */
  link: 600,
} as const;

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
 * Escaped, truncated audit value: at most `max` code points shown, and at most `max + 40`
 * escaped characters, so values made of `&` or `"` cannot blow the size budget. A long address
 * or id may break after `@`, `.`, `-` or `_` (a `<wbr>` there) rather than mid-word.
 */
export function value(raw: string, max: number = EMAIL_LIMITS.value): string {
  return breakable(escapeWithin(clipLine(raw, max), max + 40, escapeHtml));
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
