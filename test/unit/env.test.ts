/**
 * readEnv: the handler's environment, validated once at cold start with every problem named: the
 * report variables and the bundled reports document go through the parser synth uses, so their
 * problems read as at synth, prefixed with the variable or the file to fix.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../functions/weekly-report/config/env';
import { ConfigError } from '../../functions/weekly-report/errors';

const VALID: Readonly<Record<string, string>> = {
  ORG_NAME: 'Acme',
  TIMEZONE: 'Europe/Berlin',
  WINDOW_DAYS: '7',
  BASELINE_DAYS: '28',
  WINDOW: 'rolling',
  DATADOG_SITE: 'datadoghq.eu',
  SECRET_ID: 'ai-activity-audit/credentials',
  EMAIL_FROM: 'audit@example.com',
  EMAIL_TO: 'ana@example.com, bo@example.com',
  SES_CONFIGURATION_SET: 'reports',
  SLACK_CHANNEL: 'C0123456789',
  IDEMPOTENCY_TABLE: 'ai-activity-audit-deliveries',
  THRESHOLDS: '{"burstCalls":50}',
  SUPPRESS: '[{"kind":"first_time_user","user":"bot@example.com"}]',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    readEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('readEnv accepted the environment');
}

/** The one report of a deployment without REPORTS_FILE. */
function single(env: Record<string, string>) {
  const config = readEnv(env);
  expect(config.reports).toHaveLength(1);
  return config.reports[0] as (typeof config.reports)[number];
}

describe('readEnv', () => {
  it('reads a complete environment into a typed configuration', () => {
    // Prepare
    const env = { ...VALID };

    // Act
    const config = readEnv(env);

    // Assess
    expect(config).toEqual({
      reports: [
        {
          name: 'default',
          key: 'Acme',
          org: 'Acme',
          timezone: 'Europe/Berlin',
          windowDays: 7,
          baselineDays: 28,
          windowMode: 'rolling',
          schedule: 'cron(0 9 ? * MON *)',
          topUsers: 5,
          changesLimit: 200,
          activity: 'all',
          exceptions: [],
          site: 'datadoghq.eu',
          secretId: 'ai-activity-audit/credentials',
          email: { from: 'audit@example.com', to: ['ana@example.com', 'bo@example.com'], configurationSet: 'reports' },
          slack: { channel: 'C0123456789' },
          thresholds: expect.objectContaining({ burstCalls: 50, burstMinutes: 10 }),
          suppress: [{ kind: 'first_time_user', user: 'bot@example.com' }],
        },
      ],
      idempotencyTable: 'ai-activity-audit-deliveries',
    });
  });

  it('corrects the case of TIMEZONE, as the stack does, and keeps the zone as spelled', () => {
    // Act
    const berlin = single({ ...VALID, TIMEZONE: 'europe/berlin' });
    const kolkata = single({ ...VALID, TIMEZONE: 'Asia/Kolkata' });

    // Assess
    expect(berlin.timezone).toBe('Europe/Berlin');
    expect(kolkata.timezone).toBe('Asia/Kolkata');
  });

  it('applies the defaults of optional variables', () => {
    // Prepare
    const env = {
      ORG_NAME: 'Acme',
      SLACK_CHANNEL: 'C0123456789',
      IDEMPOTENCY_TABLE: 'deliveries',
    };

    // Act
    const config = single(env);

    // Assess
    expect(config.timezone).toBe('UTC');
    expect(config.windowDays).toBe(7);
    expect(config.baselineDays).toBe(28);
    expect(config.windowMode).toBe('calendar');
    expect(config.site).toBe('datadoghq.com');
    expect(config.schedule).toBe('cron(0 9 ? * MON *)');
    expect(config.secretId).toBe('ai-activity-audit/credentials');
    expect(config.datadogApiUrl).toBeUndefined();
    expect(config.email).toBeUndefined();
    expect(config.suppress).toEqual([]);
  });

  it('turns email off when EMAIL_TO is empty and Slack off when SLACK_CHANNEL is empty', () => {
    // Prepare
    const emailOnly = { ...VALID, SLACK_CHANNEL: '' };
    const slackOnly = { ...VALID, EMAIL_TO: '', EMAIL_FROM: '' };

    // Act
    const a = single(emailOnly);
    const b = single(slackOnly);

    // Assess
    expect(a.slack).toBeUndefined();
    expect(a.email?.to).toHaveLength(2);
    expect(b.email).toBeUndefined();
    expect(b.slack?.channel).toBe('C0123456789');
  });

  it('takes SECRET_ID as a secret name or its ARN, and refuses anything else', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:ai-activity-audit/credentials-AbC123';

    // Act
    const byArn = single({ ...VALID, SECRET_ID: arn });
    const problems = problemsOf({ ...VALID, SECRET_ID: 'arn:aws:s3:::not-a-secret' });

    // Assess
    expect(byArn.secretId).toBe(arn);
    expect(problems.join('\n')).toMatch(/SECRET_ID.*not a Secrets Manager secret name .* or ARN/);
  });

  it('keeps DD_API_URL and SLACK_API_URL when they are http(s) URLs', () => {
    // Prepare
    const env = { ...VALID, DD_API_URL: 'http://127.0.0.1:4010', SLACK_API_URL: 'http://127.0.0.1:4011/api/' };

    // Act
    const config = single(env);

    // Assess
    expect(config.datadogApiUrl).toBe('http://127.0.0.1:4010');
    expect(config.slack?.apiUrl).toBe('http://127.0.0.1:4011/api/');
  });

  it.each([
    'datadoghq.com',
    'us3.datadoghq.com',
    'us5.datadoghq.com',
    'datadoghq.eu',
    'ap1.datadoghq.com',
    'ap2.datadoghq.com',
    'uk1.datadoghq.com',
    'ddog-gov.com',
  ])('accepts the Datadog site %s', (site) => {
    // Act
    const config = single({ ...VALID, DATADOG_SITE: site });

    // Assess
    expect(config.site).toBe(site);
  });

  it('names every known site when DATADOG_SITE is not one', () => {
    // Act
    const problems = problemsOf({ ...VALID, DATADOG_SITE: 'uk2.datadoghq.com' });

    // Assess
    expect(problems).toEqual([
      'DATADOG_SITE: "uk2.datadoghq.com" is not a Datadog site; use one of datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com',
    ]);
  });

  it.each([
    ['ORG_NAME', '', /^ORG_NAME: is required: the organization name/],
    ['TIMEZONE', 'Mars/Olympus', /^TIMEZONE: "Mars\/Olympus" is not an IANA time zone; use e\.g\. "UTC"/],
    ['WINDOW_DAYS', 'seven', /^WINDOW_DAYS: must be a positive integer \(got "seven"\)/],
    ['BASELINE_DAYS', '0', /^BASELINE_DAYS: must be a positive integer \(got "0"\)/],
    ['BASELINE_DAYS', '3', /^BASELINE_DAYS: must be at least windowDays \(7\)/],
    ['WINDOW', 'weekly', /^WINDOW: "weekly" is not a window mode; use "calendar" .* or "rolling"/],
    ['DATADOG_SITE', 'datadoghq.org', /^DATADOG_SITE: "datadoghq.org" is not a Datadog site; use one of/],
    ['DD_API_URL', 'ftp://example.com', /^DD_API_URL must be an https: URL, not ftp:/],
    ['SECRET_ID', 'team secret', /^SECRET_ID: "team secret" is not a Secrets Manager secret name/],
    ['EMAIL_TO', 'x', /^EMAIL_TO: "x" is not an e-mail address; list addresses such as/],
    ['EMAIL_FROM', '', /^EMAIL_FROM: is required when emailTo lists recipients/],
    ['EMAIL_FROM', 'Audit <audit@example.com>', /^EMAIL_FROM: "Audit <audit@example.com>" is not an e-mail address/],
    ['SES_CONFIGURATION_SET', 'bad name!', /^SES_CONFIGURATION_SET: "bad name!" is not an SES configuration set name/],
    ['SLACK_CHANNEL', '#general', /^SLACK_CHANNEL: "#general" is not a Slack channel ID; use the ID/],
    ['SLACK_API_URL', 'not a url', /^SLACK_API_URL is not a URL/],
    ['IDEMPOTENCY_TABLE', '', /^IDEMPOTENCY_TABLE is required/],
    ['IDEMPOTENCY_TABLE', 'ab', /^IDEMPOTENCY_TABLE must be a DynamoDB table name/],
    ['THRESHOLDS', '{"burstCalls":-1}', /^THRESHOLDS: burstCalls must be a positive integer/],
    ['THRESHOLDS', '{oops', /^THRESHOLDS: is not valid JSON/],
    ['SUPPRESS', '[{"kind":"nope"}]', /^SUPPRESS: \[0\]\.kind must be one of/],
  ])('names %s when it is %j', (name, value, expected) => {
    // Prepare
    const env = { ...VALID, [name]: value };

    // Act
    const problems = problemsOf(env);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('requires at least one channel', () => {
    // Prepare
    const env = { ...VALID, EMAIL_TO: '', SLACK_CHANNEL: '' };

    // Act
    const problems = problemsOf(env);

    // Assess
    expect(problems).toEqual([
      'EMAIL_TO: no delivery channel: set emailFrom + emailTo (email), slackChannel (Slack) and/or teamsChannel (Microsoft Teams)',
    ]);
  });

  it('lists every problem in one ConfigError', () => {
    // Prepare
    const env = { EMAIL_TO: 'a@example.com,nope', TIMEZONE: 'Nowhere' };

    // Act
    const act = () => readEnv(env);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(problemsOf(env).map((p) => p.split(/:? /)[0])).toEqual([
      'TIMEZONE',
      'EMAIL_TO',
      'ORG_NAME',
      'EMAIL_FROM',
      'IDEMPOTENCY_TABLE',
    ]);
    expect(act).toThrow(/Invalid configuration:\n- TIMEZONE: "Nowhere" is not an IANA time zone/);
  });

  it('shortens a long bad value instead of echoing it whole', () => {
    // Prepare
    const long = `C${'x'.repeat(200)}`;

    // Act
    const problems = problemsOf({ ...VALID, SLACK_CHANNEL: long });

    // Assess
    expect(problems[0]).not.toContain(long);
    expect(problems[0]).toContain('…');
  });

  describe('REPORTS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reports-file-'));
    const entry = (over: Record<string, unknown>) => ({
      name: 'security',
      orgName: 'Acme',
      datadogSite: 'datadoghq.eu',
      secretName: 'acme/credentials',
      emailFrom: 'audit@acme.example',
      emailTo: ['security@acme.example'],
      timezone: 'europe/berlin',
      window: 'calendar',
      thresholds: {},
      suppress: [],
      ...over,
    });
    const file = (name: string, doc: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(doc));
      return path;
    };

    it("reads every report of the bundled document, with the stack's rules, instead of the report variables", () => {
      // Prepare
      const path = file('two.json', {
        schema: 1,
        reports: [
          entry({}),
          entry({ name: 'sre', emailTo: [], slackChannel: 'C0SRE000001', scope: { teams: ['sre'] } }),
        ],
      });

      // Act
      const config = readEnv({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries', DD_API_URL: 'http://127.0.0.1:9' });

      // Assess
      expect(config.reports.map((r) => [r.name, r.key, r.timezone, r.scope])).toEqual([
        ['security', 'security', 'Europe/Berlin', undefined],
        ['sre', 'sre', 'Europe/Berlin', { teams: ['sre'] }],
      ]);
      expect(config.reports[1]?.slack).toEqual({ channel: 'C0SRE000001' });
      expect(config.reports.every((r) => r.datadogApiUrl === 'http://127.0.0.1:9')).toBe(true);
    });

    it('keys a report named default by its org name, as without a list, so its ledger and archive history carry over', () => {
      // Prepare
      const path = file('default.json', { schema: 1, reports: [entry({ name: 'default' }), entry({ name: 'sre' })] });
      const single = readEnv(VALID);
      expect(single.reports[0]?.key).toBe('Acme');

      // Act
      const config = readEnv({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries' });

      // Assess
      expect(config.reports.map((r) => [r.name, r.key])).toEqual([
        ['default', single.reports[0]?.key],
        ['sre', 'sre'],
      ]);
    });

    it('names the report and the key of every problem, and a file that is missing', () => {
      // Prepare
      const path = file('bad.json', {
        schema: 1,
        reports: [entry({}), entry({ name: 'Bad Name', slackChannel: '#sre', scope: { groups: ['x'] } }), entry({})],
      });

      // Act
      const problems = problemsOf({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries' });
      const missing = problemsOf({ REPORTS_FILE: join(dir, 'nope.json'), IDEMPOTENCY_TABLE: 'deliveries' });

      // Assess
      expect(problems).toEqual([
        'REPORTS_FILE reports[1] ("Bad Name").name: "Bad Name" is not a report name: lower-case letters, digits and - (not first or last), at most 40',
        expect.stringMatching(
          /^REPORTS_FILE reports\[1\] \("Bad Name"\)\.slackChannel: "#sre" is not a Slack channel ID/,
        ),
        'REPORTS_FILE reports[1] ("Bad Name").scope: has unknown key "groups" (known: teams, people)',
        'REPORTS_FILE reports[1] ("Bad Name").scope: must name teams or people (omit it for the whole org)',
        'REPORTS_FILE reports[2] (security).name: "security" is also the name of reports[0]: report names must be unique',
      ]);
      expect(missing).toEqual([expect.stringMatching(/^REPORTS_FILE ".*nope.json" cannot be read \(no such file\)/)]);
    });

    it('names the report and the key of a misspelled key in a hand-edited file, with the key it likely means', () => {
      // Prepare
      const path = file('typo.json', {
        reports: [entry({}), entry({ name: 'sre', emailTo: [], slackChanel: 'C0SRE000001' })],
      });

      // Act
      const problems = problemsOf({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries' });

      // Assess
      expect(problems).toEqual([
        'REPORTS_FILE reports[1] (sre).slackChanel: is not a key of a report, so its value would be ignored; did you mean slackChannel?',
        'REPORTS_FILE reports[1] (sre).emailTo: no delivery channel: set emailFrom + emailTo (email), slackChannel (Slack) and/or teamsChannel (Microsoft Teams)',
      ]);
    });

    it('names the report, or the default, and the key of a value of the wrong type', () => {
      // Prepare
      const path = file('types.json', {
        defaults: { windowDays: true, orgName: 'Acme' },
        reports: [entry({ emailTo: 42 }), entry({ name: 'sre', slackChannel: ['C0SRE000001'] })],
      });

      // Act
      const problems = problemsOf({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries' });

      // Assess
      expect(problems).toEqual([
        'REPORTS_FILE defaults.windowDays: must be a positive integer (got true); e.g. -c windowDays=7',
        'REPORTS_FILE reports[0] (security).emailTo: must be an array of addresses in cdk.json or a comma-separated list with -c emailTo=a@x.com,b@y.com',
        'REPORTS_FILE reports[0] (security).emailTo: no delivery channel: set emailFrom + emailTo (email), slackChannel (Slack) and/or teamsChannel (Microsoft Teams)',
        'REPORTS_FILE reports[1] (sre).slackChannel: must be text such as "C0123456789" (got ["C0SRE000001"])',
      ]);
    });

    it('lets every report inherit the defaults it does not set, and checks the endpoint overrides too', () => {
      // Prepare
      const path = file('defaults.json', {
        schema: 1,
        defaults: { orgName: 'Acme', emailFrom: 'audit@acme.example', windowDays: '14', baselineDays: 28 },
        reports: [
          { name: 'security', emailTo: 'security@acme.example' },
          { name: 'sre', slackChannel: 'C0SRE000001' },
        ],
      });

      // Act
      const config = readEnv({
        REPORTS_FILE: path,
        IDEMPOTENCY_TABLE: 'deliveries',
        SLACK_API_URL: 'http://127.0.0.1:9/',
      });
      const badUrl = problemsOf({ REPORTS_FILE: path, IDEMPOTENCY_TABLE: 'deliveries', DD_API_URL: 'localhost:9' });

      // Assess
      expect(config.reports.map((r) => [r.name, r.org, r.windowDays, r.email?.to, r.slack])).toEqual([
        ['security', 'Acme', 14, ['security@acme.example'], undefined],
        ['sre', 'Acme', 14, undefined, { channel: 'C0SRE000001', apiUrl: 'http://127.0.0.1:9/' }],
      ]);
      expect(badUrl).toEqual([expect.stringMatching(/^DD_API_URL must be an https: URL, not localhost:/)]);
    });
  });
});
