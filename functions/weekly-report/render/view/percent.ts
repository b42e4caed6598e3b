/**
 * Percentages as a reader should see them, for the view (and so every medium) alike: a share or a
 * change that is not zero never prints as "0%", and one that is not everything never prints as
 * "100%". Pure; numbers in, labels out (no sign, no arrow: the delta or the medium adds them).
 */

/** How a label writes a number: `1,000` for people, `1000` where a parser reads the line. */
export type Digits = 'grouped' | 'plain';

// Made at first use: building Intl's number data costs ~25 ms, which `report --help` need not pay.
let grouped: Intl.NumberFormat | undefined;

/** `2000` → `2,000` (en-US grouping). */
export function groupDigits(value: number): string {
  grouped ??= new Intl.NumberFormat('en-US');
  return grouped.format(value);
}

function digits(value: number, style: Digits): string {
  return style === 'grouped' ? groupDigits(value) : String(value);
}

/** `part` of `total` in percent: `43%`; `<1%` when it is not zero but rounds to 0; `>99%` when it is not all but rounds to 100. */
export function formatShare(part: number, total: number, style: Digits = 'grouped'): string {
  if (!(total > 0) || !Number.isFinite(part)) return '0%';
  const percent = Math.round((part / total) * 100);
  if (percent === 0 && part > 0) return '<1%';
  if (percent === 100 && part < total) return '>99%';
  return `${digits(percent, style)}%`;
}

/**
 * Size of a change from `previous` in percent, unsigned: `25%` (whole percent from 1% up),
 * `0.1%` (one decimal below 1%), or undefined when there is no previous value or the change is
 * under 0.05%, where the reader is better served by the count itself (`+1`).
 */
export function formatChangePercent(diff: number, previous: number, style: Digits = 'grouped'): string | undefined {
  if (!(previous > 0) || !Number.isFinite(diff) || diff === 0) return undefined;
  const percent = (Math.abs(diff) / previous) * 100;
  if (percent >= 0.95) return `${digits(Math.round(percent), style)}%`;
  if (percent >= 0.05) return `${percent.toFixed(1)}%`;
  return undefined;
}
