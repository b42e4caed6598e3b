import { renderEmailHtml } from '../functions/weekly-report/render/email';
import { EMAIL_LIMIT_STEPS } from '../functions/weekly-report/render/email-markup';
import { buildReportView } from '../functions/weekly-report/render/view';
import { makeBusySummary, makeHugeSummary, makeHostileSummary } from '../test/support/summary-fixtures';
test('sizes', () => {
  const m = require('../test/unit/render/byte-budget.test.ts');
  for (const s of [makeBusySummary(400), makeHugeSummary(5000), makeHostileSummary()]) {
    console.log(EMAIL_LIMIT_STEPS.map((l) => Buffer.byteLength(renderEmailHtml(buildReportView(s), l))));
  }
});
