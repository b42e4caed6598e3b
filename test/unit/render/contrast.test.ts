/**
 * The email is designed for a light colour scheme and says so, so mail apps in dark mode leave it
 * alone where they can; and every text colour it uses reads at WCAG AA (4.5:1) on its background.
 */
import type { Summary } from '../../../functions/weekly-report/core/types';
import { renderEmail } from '../../../functions/weekly-report/render/email';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { contrastRatio, textColours } from '../../support/html-colours';
import { countFlags, makeBusySummary, makeSummary } from '../../support/summary-fixtures';

/** Weeks that between them show every part of the email: notes, the partial banner, every severity pill, unevaluated rules, a clean week. */
function everyPart(): Summary[] {
  const unevaluated = { ...countFlags([]), first_time_user: null, out_of_scope: null, new_country: null };
  return [
    { ...makeBusySummary(6), warnings: ['The baseline covers only 10 of 28 days'] },
    { ...makeBusySummary(40), complete: false, warnings: ['Slice 2026-11-18 timed out'] },
    makeSummary({ baseline: undefined, anomaly_counts: unevaluated }),
    makeSummary(),
  ];
}

describe('email colours', () => {
  it('gives every piece of text at least 4.5:1 contrast with its background', () => {
    // Act
    const runs = everyPart().flatMap((summary) => textColours(renderEmail(buildReportView(summary)).html));

    // Assess: report each failing colour pair once, with an example of its text
    const failing = new Map<string, string>();
    for (const run of runs) {
      const ratio = contrastRatio(run.color, run.background);
      if (ratio < 4.5) failing.set(`${run.color} on ${run.background} (${ratio.toFixed(2)}:1)`, run.text.slice(0, 40));
    }
    expect(runs.length).toBeGreaterThan(200);
    expect(new Set(runs.map((r) => r.color)).size).toBeGreaterThan(8);
    expect(Object.fromEntries(failing)).toEqual({});
  });

  it('declares the light colour scheme it is designed for', () => {
    // Act
    const { html } = renderEmail(buildReportView(makeSummary()));

    // Assess
    const head = html.slice(0, html.indexOf('</head>'));
    expect(head).toContain('<meta name="color-scheme" content="light only">');
    expect(head).toContain('<meta name="supported-color-schemes" content="light">');
    expect(head).toMatch(/:root\s*\{\s*color-scheme:\s*light only;\s*supported-color-schemes:\s*light;?\s*\}/);
    expect(head).toMatch(/@media \(prefers-color-scheme: ?dark\)/);
  });
});

describe('contrastRatio', () => {
  it('matches the WCAG figures', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#9ca3af', '#ffffff')).toBeCloseTo(2.54, 2);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
  });
});
