/**
 * A complete ReportDefinition for tests and benchmarks that run the job without a deployment:
 * the defaults of the analysis (ANALYSIS_DEFAULTS) and of a report, then what the test sets.
 */
import type { ReportDefinition } from '../../functions/weekly-report/config/report-definitions';
import { ANALYSIS_DEFAULTS } from '../../functions/weekly-report/core/types';

export function testReport(overrides: Partial<ReportDefinition> & Pick<ReportDefinition, 'org'>): ReportDefinition {
  return {
    ...ANALYSIS_DEFAULTS,
    name: 'default',
    key: overrides.org,
    schedule: 'cron(0 9 ? * MON *)',
    windowMode: 'calendar',
    windowDays: 7,
    baselineDays: 28,
    secretId: 'ai-activity-audit/credentials',
    site: 'datadoghq.com',
    ...overrides,
  };
}
