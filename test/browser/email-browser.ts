/**
 * `npm run test:browser`: renders the email of a realistic busy week in headless Chromium at
 * 375 px and 1200 px, checks there is no horizontal scrolling and that the key numbers are
 * visible, and saves out/email-375.png and out/email-1200.png for people to look at.
 * Needs Debian's `chromium` (CHROMIUM_PATH overrides /usr/bin/chromium); `npm test` does not.
 */
import { join } from 'node:path';
import { renderEmailHtml } from '../../functions/weekly-report/render/email';
import { formatCount } from '../../functions/weekly-report/render/format';
import { captureEmailScreenshots } from '../../scripts/lib/email-screenshots';
import { makeBusySummary } from '../support/summary-fixtures';

async function main(): Promise<number> {
  // Prepare
  const summary = makeBusySummary(40);
  const html = renderEmailHtml(summary);
  const expected = [
    formatCount(summary.total_tool_calls),
    formatCount(summary.unique_users),
    'Open in Datadog Audit Trail',
    summary.top_users[0]?.user ?? '',
    'Daily calls',
  ];

  // Act
  const { checks } = await captureEmailScreenshots(html, join(__dirname, '..', '..', 'out'), expected);

  // Assess
  let failed = 0;
  for (const check of checks) {
    const problems = [
      ...(check.scrollWidth > check.width ? [`scrolls sideways (${check.scrollWidth}px > ${check.width}px)`] : []),
      ...check.missing.map((text) => `not visible: ${JSON.stringify(text)}`),
    ];
    if (problems.length > 0) failed += 1;
    console.log(
      `${problems.length === 0 ? 'ok  ' : 'FAIL'} email at ${check.width}px → ${check.file}${problems.length ? `: ${problems.join('; ')}` : ''}`,
    );
  }
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  return failed === 0 && checks.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
