/**
 * One bad value reads the same whichever way the configuration came in: the CDK context at synth,
 * a reports.json at cold start, or the environment variables at cold start. Only the prefix that
 * says where to fix it differs (the context key, the file and the report, the variable).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../../functions/weekly-report/config/env';
import { ConfigError } from '../../../functions/weekly-report/errors';
import { parseStackConfig, StackConfigError } from '../../../infra/config';
import { cdkJsonContext } from '../../infra/synth-stack';

const ENV = {
  ORG_NAME: 'Acme',
  EMAIL_FROM: 'audit@example.com',
  EMAIL_TO: 'security@example.com',
  IDEMPOTENCY_TABLE: 'deliveries',
};

function synthProblems(context: Record<string, unknown>) {
  try {
    parseStackConfig(context);
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error('synth accepted the context');
}

function coldStartProblems(env: Record<string, string>): readonly string[] {
  try {
    readEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('cold start accepted the configuration');
}

describe('one bad value, one message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'same-problem-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['timezone', 'TIMEZONE', 'Mars/Olympus'],
    ['slackChannel', 'SLACK_CHANNEL', '#security'],
    ['emailTo', 'EMAIL_TO', 'security@example.com,not-an-address'],
    ['thresholds', 'THRESHOLDS', '{"burstCals":5}'],
    ['windowDays', 'WINDOW_DAYS', 'seven'],
  ])('says the same of %s at synth, in reports.json and in %s (%j)', (key, variable, value) => {
    // Prepare: the same value in a report of a hand-edited reports.json (in its defaults when only they may hold it)
    const file = join(dir, `${key}.json`);
    const perReport = key !== 'windowDays';
    writeFileSync(
      file,
      JSON.stringify({
        defaults: { orgName: 'Acme', emailFrom: 'audit@example.com', ...(perReport ? {} : { [key]: value }) },
        reports: [{ name: 'security', emailTo: ['security@example.com'], ...(perReport ? { [key]: value } : {}) }],
      }),
    );

    // Act
    const synth = synthProblems({ ...cdkJsonContext(), [key]: value });
    const synthListed = synthProblems({
      ...cdkJsonContext(),
      ...(perReport
        ? { reports: [{ name: 'security', [key]: value }] }
        : { [key]: value, reports: [{ name: 'security' }] }),
    });
    const fromFile = coldStartProblems({ REPORTS_FILE: file, IDEMPOTENCY_TABLE: 'deliveries' });
    const fromEnv = coldStartProblems({ ...ENV, [variable]: value });

    // Assess
    expect(synth).toHaveLength(1);
    const message = synth[0]?.message ?? '';
    expect(synth).toEqual([{ key, message }]);
    expect(synthListed).toEqual([{ key: perReport ? `reports[0] (security).${key}` : key, message }]);
    expect(fromFile).toEqual([
      `REPORTS_FILE ${perReport ? `reports[0] (security).${key}` : `defaults.${key}`}: ${message}`,
    ]);
    expect(fromEnv).toEqual([`${variable}: ${message}`]);
  });
});
