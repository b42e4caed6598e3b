/**
 * Context validation at synth time: every key's rule, the forms `-c` values arrive in, keys the app
 * does not know (typos), and one StackConfigError that names every offending key with its fix.
 */

import { editDistance, nearestKey, unknownReportKeys } from '../../functions/weekly-report/config/keys';
import { parseReports } from '../../functions/weekly-report/config/parse-reports';
import type { ReportDefinition } from '../../functions/weekly-report/config/report-definitions';
import { validateScheduleExpression } from '../../functions/weekly-report/config/schedule-expression';
import { DEFAULT_THRESHOLDS } from '../../functions/weekly-report/core/types';
import { CONTEXT_KEYS, parseStackConfig, type StackConfig, StackConfigError } from '../../infra/config';
import { unknownContextKeys } from '../../infra/context-keys';
import { cdkJsonContext, synthesizeStack } from './synth-stack';
import { twoOrgContext, twoOrgReports } from './two-orgs';

function errorOf(run: () => unknown): StackConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof StackConfigError) return error;
    throw error;
  }
  throw new Error('expected a StackConfigError');
}

function firstReport(config: StackConfig) {
  const [report] = config.reports;
  if (report === undefined) throw new Error('expected a report');
  return report;
}

/** What the function makes of the document the stack bundles (JSON and back, as the file carries it). */
function coldStart(config: StackConfig): readonly ReportDefinition[] {
  const parsed = parseReports(JSON.parse(JSON.stringify(config.reportsDocument)));
  if (!parsed.ok) throw new Error(`the bundled document was refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.reports;
}

describe('parseStackConfig', () => {
  describe('defaults', () => {
    it('accepts the cdk.json of a fresh clone', () => {
      // Act
      const config = parseStackConfig(cdkJsonContext());

      // Assess
      expect(config).toMatchObject({ logRetentionDays: 365, archiveRetentionDays: 400 });
      expect(config.reports).toHaveLength(1);
      const report = firstReport(config);
      expect(report).toEqual({
        name: 'default',
        key: 'Example Org',
        schedule: 'cron(0 9 ? * MON *)',
        timezone: 'UTC',
        org: 'Example Org',
        site: 'datadoghq.com',
        secretId: 'ai-activity-audit/credentials',
        email: { from: 'audit@example.com', to: ['security@example.com'] },
        windowMode: 'calendar',
        windowDays: 7,
        baselineDays: 28,
        thresholds: DEFAULT_THRESHOLDS,
        suppress: [],
        topUsers: 5,
        changesLimit: 200,
        activity: 'all',
        exceptions: [],
      });
      expect(config.alarmEmail).toBeUndefined();
      expect(config.reportsDocument.reports).toEqual([{ name: 'default' }]);
      expect(coldStart(config)).toEqual(config.reports);
    });

    it('lists every key it reads in cdk.json, so people see what they can set', () => {
      // Act
      const keys = Object.keys(cdkJsonContext());

      // Assess
      expect(keys).toEqual(expect.arrayContaining([...CONTEXT_KEYS]));
    });

    it('fills absent optional keys with the documented defaults', () => {
      // Act
      const config = parseStackConfig({ orgName: 'Acme', slackChannel: 'C0123456789' });

      // Assess
      expect(firstReport(config)).toMatchObject({
        schedule: 'cron(0 9 ? * MON *)',
        timezone: 'UTC',
        site: 'datadoghq.com',
        secretId: 'ai-activity-audit/credentials',
        windowMode: 'calendar',
        windowDays: 7,
        baselineDays: 28,
      });
      expect(firstReport(config).email).toBeUndefined();
      expect(firstReport(config).thresholds.burstCalls).toBe(100);
    });
  });

  describe('command-line forms', () => {
    it('reads emailTo as an array or as a comma-separated string', () => {
      // Act
      const fromArray = parseStackConfig({ ...cdkJsonContext(), emailTo: ['a@example.com', 'b@example.org'] });
      const fromString = parseStackConfig({ ...cdkJsonContext(), emailTo: ' a@example.com ,b@example.org,' });
      const fromJson = parseStackConfig({ ...cdkJsonContext(), emailTo: '["a@example.com","b@example.org"]' });

      // Assess
      expect(firstReport(fromArray).email?.to).toEqual(['a@example.com', 'b@example.org']);
      expect(firstReport(fromString).email?.to).toEqual(firstReport(fromArray).email?.to);
      expect(firstReport(fromJson).email?.to).toEqual(firstReport(fromArray).email?.to);
      expect(coldStart(fromString)).toEqual(fromString.reports);
    });

    it('reads numbers and JSON given as strings', () => {
      // Act
      const config = parseStackConfig({
        ...cdkJsonContext(),
        windowDays: '14',
        baselineDays: '56',
        thresholds: '{"burstCalls":50,"highSeverityResourceTypes":["monitor"]}',
        suppress: '[{"kind":"new_country","user":"ana@example.com"}]',
      });

      // Assess
      expect(firstReport(config).windowDays).toBe(14);
      expect(firstReport(config).baselineDays).toBe(56);
      expect(firstReport(config).thresholds).toEqual({
        burstCalls: 50,
        burstMinutes: 10,
        scopeMinBaselineCalls: 20,
        highSeverityResourceTypes: ['monitor'],
        newClientSeverity: 'low',
      });
      expect(firstReport(config).suppress).toEqual([{ kind: 'new_country', user: 'ana@example.com' }]);
    });

    it('knows the new_client kind: its severity among the thresholds, and suppression by user or client', () => {
      // Act
      const config = parseStackConfig({
        ...cdkJsonContext(),
        thresholds: '{"newClientSeverity":"medium"}',
        suppress: '[{"kind":"new_client","client":"codex"},{"kind":"new_client","user":"bot@example.com"}]',
      });

      // Assess
      expect(firstReport(config).thresholds.newClientSeverity).toBe('medium');
      expect(firstReport(config).suppress).toEqual([
        { kind: 'new_client', client: 'codex' },
        { kind: 'new_client', user: 'bot@example.com' },
      ]);
      expect(coldStart(config)[0]?.suppress).toEqual(firstReport(config).suppress);
    });

    it('reads through a lookup function such as app.node.tryGetContext', () => {
      // Prepare
      const context: Record<string, unknown> = { ...cdkJsonContext(), timezone: 'Europe/Berlin' };

      // Act
      const config = parseStackConfig((key) => context[key]);

      // Assess
      expect(firstReport(config).timezone).toBe('Europe/Berlin');
    });

    it('corrects the case of the timezone, for the schedule and the function alike, and keeps its spelling', () => {
      // Act
      const berlin = parseStackConfig({ ...cdkJsonContext(), timezone: 'europe/berlin' });
      const kolkata = parseStackConfig({ ...cdkJsonContext(), timezone: 'Asia/Kolkata' });

      // Assess
      expect(firstReport(berlin).timezone).toBe('Europe/Berlin');
      expect(coldStart(berlin)[0]?.timezone).toBe('Europe/Berlin');
      expect(firstReport(kolkata).timezone).toBe('Asia/Kolkata');
      expect(coldStart(kolkata)[0]?.timezone).toBe('Asia/Kolkata');
    });

    it('takes the UK1 site and hands it to the function', () => {
      // Act
      const config = parseStackConfig({ ...cdkJsonContext(), datadogSite: 'uk1.datadoghq.com' });

      // Assess
      expect(firstReport(config).site).toBe('uk1.datadoghq.com');
      expect(coldStart(config)[0]?.site).toBe('uk1.datadoghq.com');
    });

    it('turns email off with an empty emailTo and Slack off with an empty slackChannel', () => {
      // Act
      const slackOnly = parseStackConfig({ ...cdkJsonContext(), emailTo: '', slackChannel: 'C0123456789' });
      const emailOnly = parseStackConfig({ ...cdkJsonContext(), slackChannel: '' });

      // Assess
      expect(firstReport(slackOnly).email).toBeUndefined();
      expect(firstReport(slackOnly).slack).toEqual({ channel: 'C0123456789' });
      expect(firstReport(emailOnly).slack).toBeUndefined();
      expect(firstReport(emailOnly).email?.to).toEqual(['security@example.com']);
    });
  });

  describe('problems', () => {
    it('refuses an Object Lock longer than the archive retention (a locked object cannot expire)', () => {
      // Act
      const error = errorOf(() =>
        parseStackConfig({
          orgName: 'Acme',
          slackChannel: 'C0123456789',
          archiveRetentionDays: 30,
          archiveObjectLockDays: 90,
        }),
      );

      // Assess
      expect(error.message).toMatch(/archiveObjectLockDays: 90 is longer than archiveRetentionDays \(30\)/);
      expect(
        parseStackConfig({
          orgName: 'Acme',
          slackChannel: 'C0123456789',
          archiveRetentionDays: 0,
          archiveObjectLockDays: 90,
        }).archiveObjectLockDays,
      ).toBe(90);
    });

    it('lists every problem in one error, each naming its key', () => {
      // Prepare: a `reports` value that is not a list still means "a list": the top-level keys
      // are then defaults, checked for their form (a one-line orgName) rather than their presence.
      const context = {
        schedule: 'cron(0 9 * * MON *)',
        timezone: 'Europe/Berln',
        orgName: 'Acme\nBcc: x@example.com',
        datadogSite: 'datadoghq.co',
        secretName: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
        emailFrom: 'audit-at-example.com',
        emailTo: 'security@example.com,not an address',
        sesConfigurationSet: 'has space',
        slackChannel: '#security',
        teamsChannel: 'https://prod-1.westeurope.logic.azure.com/workflows/x',
        windowDays: '0',
        baselineDays: 'many',
        thresholds: '{"burstCalls":-1}',
        suppress: '[{"kind":"everything"}]',
        alarmEmail: 'oncall',
        window: 'weekly',
        logRetentionDays: '100',
        logKmsKeyArn: 'alias/logs',
        archiveRetentionDays: '-1',
        archiveKmsKeyArn: 'key/1',
        archiveObjectLockDays: 'a year',
        activity: 'agents',
        exceptions: '[{"kind":"destructive_action","user":"dana@example.com"}]',
        reports: '{"name":"security"}',
      };

      // Act
      const error = errorOf(() => parseStackConfig(context));

      // Assess
      expect(error.name).toBe('StackConfigError');
      expect(new Set(error.problems.map((p) => p.key))).toEqual(new Set(CONTEXT_KEYS));
      for (const key of CONTEXT_KEYS) expect(error.message).toContain(`  - ${key}: `);
      expect(error.message).toMatch(
        /^Invalid CDK context \(\d+ problems\); fix them in cdk.json or with -c key=value:/,
      );
    });

    it.each([
      ['schedule', 'weekly', /schedule: "weekly": must be cron\(/],
      ['schedule', 'cron(0 9 * * MON *)', /schedule: .*put "\?" in one of them/],
      ['schedule', 'cron(0 25 ? * MON *)', /schedule: .*hours field "25"/],
      ['timezone', 'Mars/Olympus', /timezone: "Mars\/Olympus" is not an IANA time zone/],
      ['window', 'weekly', /window: "weekly" is not a window mode; use "calendar" .* or "rolling"/],
      ['logRetentionDays', '100', /logRetentionDays: 100 is not a CloudWatch Logs retention period; use one of 1, 3/],
      ['logKmsKeyArn', 'alias/logs', /logKmsKeyArn: "alias\/logs" is not a KMS key ARN/],
      ['archiveRetentionDays', '1.5', /archiveRetentionDays: "1.5" is not a whole number of days/],
      ['archiveKmsKeyArn', 'key/1', /archiveKmsKeyArn: "key\/1" is not a KMS key ARN/],
      ['archiveObjectLockDays', 'a year', /archiveObjectLockDays: "a year" is not a whole number of days/],
      ['datadogSite', 'app.datadoghq.com', /datadogSite: .*use one of datadoghq.com, us3.datadoghq.com/],
      [
        'emailTo',
        'ops@example.com;dev@example.com',
        /emailTo: "ops@example.com;dev@example.com" is not an e-mail address/,
      ],
      ['slackChannel', '#security', /slackChannel: .*not a Slack channel ID; use the ID/],
      ['windowDays', '-7', /windowDays: must be a positive integer \(got "-7"\)/],
      ['baselineDays', '3.5', /baselineDays: must be a positive integer/],
      ['baselineDays', '85', /baselineDays: windowDays \+ baselineDays is 92 .* at most 90 days/],
      ['baselineDays', '3', /baselineDays: must be at least windowDays \(7\)/],
      ['thresholds', '{"burstCals":50}', /thresholds: unknown key "burstCals"/],
      ['thresholds', '{burstCalls:50}', /thresholds: is not valid JSON/],
      ['suppress', '{"kind":"high_volume"}', /suppress: must be a JSON array/],
      [
        'suppress',
        '[{"kind":"new_clients"}]',
        /suppress: \[0\]\.kind must be one of .*new_country, new_client, autonomous_change \(got "new_clients"\)/,
      ],
      ['suppress', '[{"kind":"new_client","client":7}]', /suppress: \[0\]\.client must be a string/],
      [
        'exceptions',
        '[{"kind":"destructive_action","user":"dana@example.com","reason":"clean-up","expires":"2026-12-31"}]',
        /exceptions: \[0\]\.owner is required: who accepted these flags/,
      ],
      [
        'exceptions',
        '[{"kind":"destructive_action","owner":"secops@example.com","reason":"clean-up"}]',
        /exceptions: \[0\]\.expires is required: the last day it holds, YYYY-MM-DD, at most a year ahead/,
      ],
      [
        'exceptions',
        // Whatever day synth runs, 9999 is more than a year ahead.
        '[{"kind":"destructive_action","owner":"secops@example.com","reason":"clean-up","expires":"9999-12-31"}]',
        /exceptions: \[0\]\.expires is 9999-12-31, more than a year ahead: an exception holds at most a year/,
      ],
      [
        'thresholds',
        '{"newClientSeverity":"critical"}',
        /thresholds: newClientSeverity must be high, medium, low \(got "critical"\)/,
      ],
      ['alarmEmail', 'oncall', /alarmEmail: "oncall" is not an e-mail address/],
      ['orgName', 'Acme\nBcc: x@example.com', /orgName: must be one line/],
      ['orgName', '', /orgName: is required: the organization name/],
    ])('refuses %s = %j', (key, value, message) => {
      // Act
      const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), [key]: value }));

      // Assess
      expect(error.message).toMatch(message);
    });

    it('requires a sender when recipients are set', () => {
      // Act
      const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), emailFrom: '' }));

      // Assess
      expect(error.problems).toEqual([
        { key: 'emailFrom', message: expect.stringMatching(/is required when emailTo/) },
      ]);
    });

    it('requires at least one delivery channel', () => {
      // Act
      const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), emailTo: [], slackChannel: '' }));

      // Assess
      expect(error.problems).toEqual([{ key: 'emailTo', message: expect.stringMatching(/no delivery channel/) }]);
    });

    it("takes settings far beyond Lambda's 4 KB environment: the reports travel in the bundled document", () => {
      // Prepare
      const many = Array.from({ length: 200 }, (_, i) => `recipient-${i}@example.com`);

      // Act
      const config = parseStackConfig({ ...cdkJsonContext(), emailTo: many });

      // Assess
      expect(JSON.stringify(config.reportsDocument).length).toBeGreaterThan(4096);
      expect(coldStart(config)[0]?.email?.to).toHaveLength(200);
    });

    it('fails the app before any resource is built', () => {
      // Act + Assess
      expect(() => synthesizeStack({ schedule: 'cron(0 9 ? * MON)' })).toThrow(
        /schedule: "cron\(0 9 \? \* MON\)": cron\(...\) needs 6 fields/,
      );
    });
  });
});

describe('reports', () => {
  function contextWith(overrides: Record<string, unknown>): Record<string, unknown> {
    return { ...cdkJsonContext(), ...twoOrgContext(), ...overrides };
  }

  it('reads a list of reports, each inheriting the top-level keys it does not set and overriding the rest', () => {
    // Act
    const config = parseStackConfig(contextWith({}));

    // Assess
    const [security, sre, globex] = config.reports;
    expect(security).toEqual({
      name: 'security',
      key: 'security',
      schedule: 'cron(0 9 ? * MON *)',
      timezone: 'UTC',
      org: 'Acme',
      site: 'datadoghq.com',
      secretId: 'ai-activity-audit/acme',
      email: { from: 'audit@acme.example', to: ['security@acme.example'] },
      windowMode: 'calendar',
      windowDays: 7,
      baselineDays: 28,
      thresholds: { ...DEFAULT_THRESHOLDS },
      suppress: [],
      topUsers: 5,
      changesLimit: 200,
      activity: 'all',
      exceptions: [],
    });
    const { email: _email, ...securityWithoutEmail } = security ?? { email: undefined };
    expect(sre).toEqual({
      ...securityWithoutEmail,
      name: 'sre-team',
      key: 'sre-team',
      slack: { channel: 'C0SRE00001' },
      scope: { teams: ['sre'] },
    });
    expect(globex).toEqual({
      ...security,
      name: 'globex',
      key: 'globex',
      org: 'Globex',
      site: 'datadoghq.eu',
      secretId: 'ai-activity-audit/globex',
      email: { from: 'audit@globex.example', to: ['secops@globex.example'] },
      timezone: 'Europe/Berlin',
      thresholds: { ...DEFAULT_THRESHOLDS, burstCalls: 50 },
    });
    expect(config.reports).toHaveLength(3);
    expect(config.reportsDocument.reports).toEqual(twoOrgReports());
    expect(coldStart(config)).toEqual(config.reports);
  });

  it("reads the same list as JSON text, as -c reports='[…]' gives it", () => {
    // Act
    const fromText = parseStackConfig(contextWith({ reports: ` ${JSON.stringify(twoOrgReports())} ` }));

    // Assess
    expect(fromText).toEqual(parseStackConfig(contextWith({})));
  });

  it.each([[[]], ['[]'], [''], [undefined]])('keeps the one report "default" of today for reports = %j', (reports) => {
    // Prepare
    const { reports: _, ...withoutReports } = cdkJsonContext();

    // Act
    const config = parseStackConfig({ ...cdkJsonContext(), reports });

    // Assess
    expect(config).toEqual(parseStackConfig(withoutReports));
    expect(config.reportsDocument.reports).toEqual([{ name: 'default' }]);
    expect(config.reports.map((r) => r.name)).toEqual(['default']);
  });

  it.each([
    ['[{"name":"security",}]', /^is not valid JSON \(.+\); e\.g\. -c reports='\[\{"name":"security"/],
    ['{"name":"security"}', /^must be a list of reports, each an object with a name; e\.g\./],
    [{ name: 'security' }, /^must be a list of reports/],
  ])('refuses reports = %j with one problem', (reports, message) => {
    // Act
    const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), reports }));

    // Assess
    expect(error.problems).toEqual([{ key: 'reports', message: expect.stringMatching(message) }]);
  });

  it('refuses two reports whose archives would share a prefix: a report named default is keyed by its org name', () => {
    // Prepare: "default" of org Acme keeps today's prefix reports/acme/, which a report named acme also takes.
    const reports = [
      { name: 'default', orgName: 'Acme', slackChannel: 'C0SEC00001' },
      { name: 'acme', orgName: 'Acme', slackChannel: 'C0SEC00002' },
    ];

    // Act
    const error = errorOf(() => parseStackConfig(contextWith({ reports })));

    // Assess
    expect(error.problems).toEqual([
      {
        key: 'reports',
        message: expect.stringMatching(/^reports default and acme would share the archive prefix reports\/acme\//),
      },
    ]);
  });

  it('names the report and the key of a misspelled key in the second report', () => {
    // Prepare
    const reports = twoOrgReports();
    const { slackChannel, ...sre } = reports[1]!;
    reports[1] = { ...sre, slackChanel: slackChannel };

    // Act
    const error = errorOf(() => parseStackConfig(contextWith({ reports })));

    // Assess
    expect(error.problems).toEqual([
      {
        key: 'reports[1] (sre-team).slackChanel',
        message: 'is not a key of a report, so its value would be ignored; did you mean slackChannel?',
      },
      { key: 'reports[1] (sre-team).emailTo', message: expect.stringMatching(/^no delivery channel/) },
    ]);
    expect(error.message).toContain(
      '\n  - reports[1] (sre-team).slackChanel: is not a key of a report, so its value would be ignored; did you mean slackChannel?',
    );
  });

  it('lists every problem of every report in one error, each naming the report and the key', () => {
    // Prepare
    const reports = [
      { name: 'security', timezone: 'Mars/Olympus', emailTo: 'ops@acme.example;dev@acme.example' },
      'sre-team',
      { name: 'SRE Team', slackChannel: '#sre', emailTo: [] },
      { orgName: 'Globex' },
      { name: 'security', window: 'weekly', thresholds: '{"burstCals":5}', windowDays: 14 },
      { name: 'globex', scope: { teams: [] }, suppress: [{ kind: 'everything' }], schedule: 'weekly' },
    ];

    // Act
    const error = errorOf(() => parseStackConfig(contextWith({ reports })));

    // Assess
    expect(error.problems.map((p) => p.key)).toEqual([
      'reports[0] (security).timezone',
      'reports[0] (security).emailTo',
      'reports[1]',
      'reports[2] ("SRE Team").name',
      'reports[2] ("SRE Team").slackChannel',
      'reports[3].name',
      'reports[4] (security).windowDays',
      'reports[4] (security).name',
      'reports[4] (security).window',
      'reports[4] (security).thresholds',
      'reports[5] (globex).schedule',
      'reports[5] (globex).suppress',
      'reports[5] (globex).scope',
      'reports[5] (globex).scope',
    ]);
    expect(error.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^"Mars\/Olympus" is not an IANA time zone/),
      expect.stringMatching(/^"ops@acme.example;dev@acme.example" is not an e-mail address/),
      expect.stringMatching(/^must be an object with a name/),
      expect.stringMatching(/^"SRE Team" is not a report name: lower-case letters/),
      expect.stringMatching(/^"#sre" is not a Slack channel ID/),
      expect.stringMatching(/^is required: a slug/),
      'is set once for the whole deployment, at the top level of the context (in a reports document, in its defaults), not per report',
      '"security" is also the name of reports[0]: report names must be unique',
      expect.stringMatching(/^"weekly" is not a window mode/),
      expect.stringMatching(/^unknown key "burstCals"/),
      expect.stringMatching(/^"weekly": must be cron\(/),
      expect.stringMatching(/^\[0\]\.kind must be one of/),
      'teams must be a non-empty list of team handles',
      'must name teams or people (omit it for the whole org)',
    ]);
    expect(error.message).toMatch(/^Invalid CDK context \(14 problems\)/);
  });

  it('requires an org name, a channel and a sender of each report, not of the top-level defaults', () => {
    // Prepare: nothing at the top level makes a report on its own
    const context = { ...cdkJsonContext(), orgName: '', emailFrom: '', emailTo: [], slackChannel: '' };
    const complete = [
      { name: 'security', orgName: 'Acme', emailFrom: 'audit@acme.example', emailTo: ['security@acme.example'] },
      { name: 'sre-team', orgName: 'Acme', slackChannel: 'C0SRE00001' },
    ];
    const incomplete = [
      { name: 'security', emailTo: ['security@acme.example'] },
      { name: 'sre-team', orgName: 'Acme' },
    ];

    // Act
    const config = parseStackConfig({ ...context, reports: complete });
    const error = errorOf(() => parseStackConfig({ ...context, reports: incomplete }));

    // Assess
    expect(config.reports.map((r) => r.name)).toEqual(['security', 'sre-team']);
    expect(error.problems).toEqual([
      { key: 'reports[0] (security).orgName', message: expect.stringMatching(/^is required/) },
      { key: 'reports[0] (security).emailFrom', message: expect.stringMatching(/^is required when emailTo/) },
      { key: 'reports[1] (sre-team).emailTo', message: expect.stringMatching(/^no delivery channel/) },
    ]);
  });

  it('bundles the document it parsed, and the function makes the same reports of it, defaults filled in', () => {
    // Prepare
    const config = parseStackConfig(
      contextWith({ windowDays: '14', baselineDays: '56', sesConfigurationSet: 'audit' }),
    );

    // Act
    const parsed = coldStart(config);

    // Assess
    expect(parsed).toEqual(config.reports);
    expect(config.reportsDocument).toEqual({
      schema: 1,
      defaults: expect.objectContaining({
        orgName: 'Acme',
        secretName: 'ai-activity-audit/acme',
        windowDays: '14',
        baselineDays: '56',
        sesConfigurationSet: 'audit',
      }),
      reports: twoOrgReports(),
    });
    expect(parsed.map((r) => [r.name, r.org, r.secretId, r.site, r.timezone, r.windowDays])).toEqual([
      ['security', 'Acme', 'ai-activity-audit/acme', 'datadoghq.com', 'UTC', 14],
      ['sre-team', 'Acme', 'ai-activity-audit/acme', 'datadoghq.com', 'UTC', 14],
      ['globex', 'Globex', 'ai-activity-audit/globex', 'datadoghq.eu', 'Europe/Berlin', 14],
    ]);
    expect(parsed.map((r) => [r.email, r.slack, r.scope])).toEqual([
      [{ from: 'audit@acme.example', to: ['security@acme.example'], configurationSet: 'audit' }, undefined, undefined],
      [undefined, { channel: 'C0SRE00001' }, { teams: ['sre'] }],
      [
        { from: 'audit@globex.example', to: ['secops@globex.example'], configurationSet: 'audit' },
        undefined,
        undefined,
      ],
    ]);
    expect(parsed[2]?.thresholds.burstCalls).toBe(50);
  });

  it('takes 40 reports with long recipient lists, far beyond what the environment could hold', () => {
    // Prepare
    const recipients = Array.from({ length: 20 }, (_, i) => `person-${i}@acme.example`);
    const reports = Array.from({ length: 40 }, (_, i) => ({ name: `team-${i}`, emailTo: recipients }));

    // Act
    const config = parseStackConfig(contextWith({ reports }));

    // Assess
    expect(config.reports).toHaveLength(40);
    expect(JSON.stringify(config.reportsDocument).length).toBeGreaterThan(4096);
    expect(coldStart(config)).toEqual(config.reports);
  });

  it("says a bad top-level default once, at its key, and a report's own bad value at the report", () => {
    // Prepare
    const reports = [{ name: 'security' }, { name: 'sre-team' }, { name: 'globex', timezone: 'Mars/Olympus' }];

    // Act
    const error = errorOf(() => parseStackConfig(contextWith({ timezone: 'Europe/Berln', reports })));

    // Assess
    expect(error.problems.map((p) => p.key)).toEqual(['timezone', 'reports[2] (globex).timezone']);
  });
});

describe('unknown context keys', () => {
  /** What `npx cdk synth` puts in the app's context besides cdk.json (seen in app.node.getAllContext()). */
  const CDK_CLI_CONTEXT = {
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:version-reporting': true,
    'aws:cdk:bundling-stacks': ['**'],
    '@aws-cdk/core:failSynthOnValidationErrors': false,
  };

  it('refuses misspelled keys, each named with the key it likely means', () => {
    // Act
    const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), orgname: 'Acme', emailto: 'x@example.com' }));

    // Assess
    expect(error.problems).toEqual([
      { key: 'orgname', message: expect.stringMatching(/is not a context key of this app.*; did you mean orgName\?$/) },
      { key: 'emailto', message: expect.stringMatching(/; did you mean emailTo\?$/) },
    ]);
    expect(error.message).toContain('\n  - orgname: is not a context key of this app');
  });

  it.each([
    ['timezon', 'timezone'],
    ['TimeZone', 'timezone'],
    ['slackChanel', 'slackChannel'],
    ['shedule', 'schedule'],
    ['windowsDays', 'windowDays'],
    ['alarmMail', 'alarmEmail'],
    ['datadogsite', 'datadogSite'],
  ])('suggests, for %s, %s', (typo, meant) => {
    // Act
    const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), [typo]: 'x' }));

    // Assess
    expect(error.problems).toEqual([{ key: typo, message: expect.stringMatching(`did you mean ${meant}\\?$`) }]);
  });

  it('lists the keys it reads when no known key is near', () => {
    // Act
    const error = errorOf(() => parseStackConfig({ ...cdkJsonContext(), recipients: 'x@example.com' }));

    // Assess
    expect(error.problems).toEqual([
      { key: 'recipients', message: expect.stringContaining(`the keys it reads are ${CONTEXT_KEYS.join(', ')}`) },
    ]);
  });

  it('lists unknown keys together with every other problem', () => {
    // Act
    const error = errorOf(() =>
      parseStackConfig({ ...cdkJsonContext(), orgname: 'Acme', timezone: 'Mars/Olympus', windowDays: '0' }),
    );

    // Assess
    expect(error.problems.map((p) => p.key)).toEqual(['orgname', 'timezone', 'windowDays']);
    expect(error.message).toMatch(/^Invalid CDK context \(3 problems\)/);
  });

  it("accepts the CDK's own keys: what the CLI adds, feature flags, cached lookups, acknowledgements", () => {
    // Prepare
    const context = {
      ...cdkJsonContext(),
      ...CDK_CLI_CONTEXT,
      '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
      '@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver': true,
      '@aws-cdk/core.TreeMetadata:maxNodes': 500,
      'aws:cdk:availability-zones:fallback': ['eu-west-1a'],
      'aws-cdk:enableDiffNoFail': true,
      'assets-ecr-repository-name': 'assets',
      'cdk-migrate': true,
      'acknowledged-issue-numbers': [34892],
      'cli-telemetry': false,
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'],
      'ssm:account=123456789012:parameterName=/x:region=eu-west-1': 'value',
      'hosted-zone:account=123456789012:domainName=example.com:region=eu-west-1': { Id: '/hostedzone/Z1' },
    };

    // Act + Assess
    expect(() => parseStackConfig(context)).not.toThrow();
  });

  it('fails the app on an unknown key, as `npx cdk synth -c orgname=Acme` does', () => {
    // Act + Assess
    expect(() => synthesizeStack({ ...CDK_CLI_CONTEXT, orgname: 'Acme' })).toThrow(
      /orgname: is not a context key of this app.*did you mean orgName\?/,
    );
  });

  it('takes the known keys only from the list it is given', () => {
    // Act
    const problems = unknownContextKeys(['burstLimit'], { burstlimit: 1, orgName: 'Acme', '@aws-cdk/x:y': true });

    // Assess
    expect(problems).toEqual([
      { key: 'burstlimit', message: expect.stringMatching(/did you mean burstLimit\?$/) },
      { key: 'orgName', message: expect.stringMatching(/the keys it reads are burstLimit$/) },
    ]);
  });

  it('tells a report key from a deployment-wide key, and lists the report keys when none is near', () => {
    // Act
    const problems = unknownReportKeys(['name', 'emailTo'], ['windowDays'], {
      name: 'x',
      emailto: [],
      windowDays: 7,
      recipients: [],
    });

    // Assess
    expect(problems).toEqual([
      { key: 'emailto', message: 'is not a key of a report, so its value would be ignored; did you mean emailTo?' },
      {
        key: 'windowDays',
        message:
          'is set once for the whole deployment, at the top level of the context (in a reports document, in its defaults), not per report',
      },
      {
        key: 'recipients',
        message: 'is not a key of a report, so its value would be ignored; a report takes name, emailTo',
      },
    ]);
  });

  it('measures edit distance and prefers a match but for case, then the nearest, then the first', () => {
    // Act + Assess
    expect([editDistance('kitten', 'sitting'), editDistance('', 'abc'), editDistance('abc', 'abc')]).toEqual([3, 3, 0]);
    expect(nearestKey('ALARMEMAIL', ['alarmMail', 'alarmEmail'])).toBe('alarmEmail');
    expect(nearestKey('abcd', ['abxy', 'abcx'])).toBe('abcx');
    expect(nearestKey('abcd', ['abxd', 'abcx'])).toBe('abxd');
    expect(nearestKey('zzzzzz', ['abcdef'])).toBeUndefined();
  });
});

describe('validateScheduleExpression', () => {
  it.each([
    'cron(0 9 ? * MON *)',
    'cron(15 6 ? * TUE *)',
    'cron(0 7 ? * MON-FRI *)',
    'cron(0/15 8-17 ? * MON,WED,FRI *)',
    'cron(*/30 * ? * * *)',
    'cron(0 9 1 JAN-DEC ? 2026-2030)',
    'cron(0 9 L * ? *)',
    'cron(0 9 LW * ? *)',
    'cron(0 9 15W * ? *)',
    'cron(0 9 ? * MON#1 *)',
    'cron(0 9 ? * 6L *)',
    'cron(0 9 ? * mon *)',
    'rate(7 days)',
    'rate(1 day)',
    'rate(30 minutes)',
    'at(2026-11-23T09:00:00)',
  ])('accepts %s', (expression) => {
    // Act + Assess
    expect(validateScheduleExpression(expression)).toEqual([]);
  });

  it.each([
    ['cron(0 9 ? * MON)', /needs 6 fields/],
    ['cron(0 9 * * MON *)', /cannot both be set/],
    ['cron(0 9 ? * ? *)', /cannot both be "\?"/],
    ['cron(60 9 ? * MON *)', /minutes field "60": "60" is not 0-59/],
    ['cron(0 9 0 * ? *)', /day-of-month field "0"/],
    ['cron(0 9 ? 13 MON *)', /month field "13": "13" is not 1-12 or JAN-DEC/],
    ['cron(0 9 ? * MOM *)', /day-of-week field "MOM": "MOM" is not 1-7 or SUN-SAT/],
    ['cron(0 9 ? * FRI-MON *)', /runs backwards/],
    ['cron(0/0 9 ? * MON *)', /step "\/0" must be an integer from 1 to 59/],
    ['cron(? 9 ? * MON *)', /"\?" is only allowed in day-of-month and day-of-week/],
    ['cron(0 9 ? * MON#6 *)', /#6 must be #1 to #5/],
    ['cron(0 9 ? * L,MON *)', /cannot be combined/],
    ['cron(0 9L ? * MON *)', /only allowed in day-of-month and day-of-week/],
    ['cron(0 9 ? * MON 1969)', /year field "1969"/],
    ['rate(1 days)', /singular unit.*rate\(1 day\)/],
    ['rate(7 day)', /plural unit.*rate\(7 days\)/],
    ['rate(2 weeks)', /unit must be minute\(s\), hour\(s\) or day\(s\)/],
    ['rate(0 minutes)', /positive integer/],
    ['at(2026-02-30T09:00:00)', /not a real date/],
    ['at(2026-11-23 09:00)', /must be at\(yyyy-mm-ddThh:mm:ss\)/],
    ['0 9 * * 1', /must be cron\(/],
  ])('refuses %s', (expression, message) => {
    // Act
    const problems = validateScheduleExpression(expression);

    // Assess
    expect(problems.join('\n')).toMatch(message);
  });
});
