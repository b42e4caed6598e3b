/**
 * The email template is compiled at build time; these tests recompile it with mjml 5 in strict
 * mode, so an invalid template or a stale generated module fails the build.
 */
import { readFileSync } from 'node:fs';
import { WEEKLY_REPORT_PLACEHOLDERS } from '../../../functions/weekly-report/render/generated/weekly-report-template';
import {
  buildWeeklyReportModule,
  compileMjml,
  GENERATED_PATH,
  TemplateBuildError,
} from '../../../scripts/build-templates';

describe('weekly report template', () => {
  it('compiles under strict validation and matches the committed generated module', async () => {
    // Act
    const expected = await buildWeeklyReportModule();

    // Assess
    const committed = readFileSync(GENERATED_PATH, 'utf8');
    // When this fails: run `npm run build:templates` and commit the generated file.
    expect(committed).toBe(expected);
  });

  it('exposes the placeholders the renderer fills', () => {
    expect([...WEEKLY_REPORT_PLACEHOLDERS]).toEqual(
      expect.arrayContaining([
        'org',
        'date_range',
        'partial_banner',
        'total_calls',
        'anomalies',
        'daily_chart',
        'footer',
      ]),
    );
  });

  it('fails strict validation for a broken template', async () => {
    // Prepare
    const broken =
      '<mjml><mj-body><mj-section><mj-column><mj-text unknown-attribute="x">Hi</mj-text></mj-column></mj-section></mj-body></mjml>';

    // Act
    const compiling = compileMjml(broken);

    // Assess
    await expect(compiling).rejects.toBeInstanceOf(TemplateBuildError);
    await expect(compileMjml(broken)).rejects.toThrow(/unknown-attribute/);
  });
});
