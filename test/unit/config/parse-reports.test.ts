/**
 * parseReports: the one parser of a deployment's reports (synth and cold start). Inheritance of
 * the defaults, the keys the settings table gives, every problem with its place and key, the
 * endpoint overrides, and the bad default said once.
 */

import {
  type ParsedReports,
  parseReports,
  problemPath,
  type ReportProblem,
} from '../../../functions/weekly-report/config/parse-reports';
import type { ReportDefinition } from '../../../functions/weekly-report/config/report-definitions';
import {
  DEFAULTS_KEYS,
  DEPLOYMENT_SETTING_KEYS,
  ENTRY_KEYS,
  REPORT_SETTINGS,
} from '../../../functions/weekly-report/config/report-settings';
import { ANALYSIS_DEFAULTS } from '../../../functions/weekly-report/core/types';
import { CONTEXT_KEYS, DEPLOYMENT_KEYS } from '../../../infra/config';

function reportsOf(parsed: ParsedReports): readonly ReportDefinition[] {
  if (!parsed.ok) throw new Error(`refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.reports;
}

function problemsOf(parsed: ParsedReports): readonly ReportProblem[] {
  if (parsed.ok) throw new Error('accepted');
  return parsed.problems;
}

/** Problems as the stack lists them: `path: message`. */
function lines(parsed: ParsedReports): string[] {
  return problemsOf(parsed).map((p) => `${problemPath(p)}: ${p.message}`);
}

const ACME = { orgName: 'Acme', emailFrom: 'audit@acme.example', emailTo: ['security@acme.example'] };

describe('parseReports', () => {
  it('fills every setting a report and its defaults leave out with the one set of defaults', () => {
    // Act
    const [report] = reportsOf(
      parseReports({ reports: [{ name: 'sre', orgName: 'Acme', slackChannel: 'C0SRE00001' }] }),
    );

    // Assess
    expect(report).toEqual({
      name: 'sre',
      key: 'sre',
      org: 'Acme',
      schedule: 'cron(0 9 ? * MON *)',
      windowMode: 'calendar',
      windowDays: 7,
      baselineDays: 28,
      secretId: 'ai-activity-audit/credentials',
      slack: { channel: 'C0SRE00001' },
      ...ANALYSIS_DEFAULTS,
    });
  });

  it('lets each report inherit every default it does not set, and override the rest', () => {
    // Prepare
    const document = {
      defaults: { ...ACME, timezone: 'Europe/Berlin', windowDays: 14, thresholds: '{"burstCalls":50}' },
      reports: [
        { name: 'security' },
        { name: 'sre', emailTo: [], slackChannel: 'C0SRE00001', timezone: 'Asia/Tokyo', scope: { teams: ['sre'] } },
        { name: 'globex', orgName: 'Globex', thresholds: {}, emailTo: 'a@globex.example, b@globex.example' },
      ],
    };

    // Act
    const [security, sre, globex] = reportsOf(parseReports(document));

    // Assess
    expect([security?.timezone, sre?.timezone, globex?.timezone]).toEqual([
      'Europe/Berlin',
      'Asia/Tokyo',
      'Europe/Berlin',
    ]);
    expect([security?.windowDays, sre?.windowDays, globex?.windowDays]).toEqual([14, 14, 14]);
    expect([security?.thresholds.burstCalls, sre?.thresholds.burstCalls, globex?.thresholds.burstCalls]).toEqual([
      50, 50, 100,
    ]);
    expect([security?.email, sre?.email, globex?.email]).toEqual([
      { from: 'audit@acme.example', to: ['security@acme.example'] },
      undefined,
      { from: 'audit@acme.example', to: ['a@globex.example', 'b@globex.example'] },
    ]);
    expect([security?.scope, sre?.scope, globex?.org]).toEqual([undefined, { teams: ['sre'] }, 'Globex']);
  });

  it('keys a report named default by its org name, as the one report without a list always was', () => {
    // Act
    const reports = reportsOf(parseReports({ defaults: ACME, reports: [{ name: 'default' }, { name: 'sre' }] }));

    // Assess
    expect(reports.map((r) => [r.name, r.key])).toEqual([
      ['default', 'Acme'],
      ['sre', 'sre'],
    ]);
  });

  it('applies the endpoint overrides to every report, and the Slack one only where Slack is on', () => {
    // Act
    const reports = reportsOf(
      parseReports(
        { defaults: ACME, reports: [{ name: 'security' }, { name: 'sre', slackChannel: 'C0SRE00001' }] },
        { datadogApiUrl: 'http://127.0.0.1:1', slackApiUrl: 'http://127.0.0.1:2/api/' },
      ),
    );

    // Assess
    expect(reports.map((r) => [r.datadogApiUrl, r.slack])).toEqual([
      ['http://127.0.0.1:1', undefined],
      ['http://127.0.0.1:1', { channel: 'C0SRE00001', apiUrl: 'http://127.0.0.1:2/api/' }],
    ]);
  });

  it('reads values given as text, as -c key=value and environment variables give them', () => {
    // Prepare
    const typed = { ...ACME, windowDays: 14, baselineDays: 56, suppress: [{ kind: 'new_country' }] };
    const text = {
      ...ACME,
      emailTo: 'security@acme.example',
      windowDays: '14',
      baselineDays: ' 56 ',
      suppress: '[{"kind":"new_country"}]',
    };

    // Act
    const fromTyped = parseReports({ defaults: typed, reports: [{ name: 'a' }] });
    const fromText = parseReports({ defaults: text, reports: [{ name: 'a' }] });

    // Assess
    expect(fromText).toEqual(fromTyped);
    expect(reportsOf(fromText)[0]?.baselineDays).toBe(56);
  });

  it('says a bad default once, at the default, and a report’s own bad value at the report', () => {
    // Act
    const parsed = parseReports({
      defaults: { ...ACME, timezone: 'Europe/Berln' },
      reports: [{ name: 'a' }, { name: 'b' }, { name: 'c', timezone: 'Mars/Olympus' }],
    });

    // Assess
    expect(lines(parsed)).toEqual([
      'timezone: "Europe/Berln" is not an IANA time zone; use e.g. "UTC", "Europe/Berlin" or "Asia/Tokyo"',
      'reports[2] (c).timezone: "Mars/Olympus" is not an IANA time zone; use e.g. "UTC", "Europe/Berlin" or "Asia/Tokyo"',
    ]);
    expect(problemPath(problemsOf(parsed)[0] as ReportProblem, 'defaults.')).toBe('defaults.timezone');
  });

  it('requires of each whole report what the defaults alone need not have', () => {
    // Act
    const parsed = parseReports({ defaults: {}, reports: [{ name: 'a', emailTo: ['x@acme.example'] }] });

    // Assess
    expect(lines(parsed)).toEqual([
      'reports[0] (a).orgName: is required: the organization name shown in the subject and title, e.g. -c orgName="Acme"',
      'reports[0] (a).emailFrom: is required when emailTo lists recipients: the SES-verified sender, e.g. -c emailFrom=audit@example.com',
    ]);
  });

  it('names a misspelled key with the key it likely means, wherever it is', () => {
    // Act
    const parsed = parseReports({
      shema: 1,
      defaults: { ...ACME, timezon: 'UTC', scope: { teams: ['sre'] } },
      reports: [{ name: 'a', slackChanel: 'C0SRE00001', alarmEmail: 'x@acme.example', baselineDays: 30 }],
    });

    // Assess
    expect(lines(parsed)).toEqual([
      'shema: is not a key of a reports document, so its value would be ignored; did you mean schema?',
      'timezon: is not a report setting, so its value would be ignored; did you mean timezone?',
      'scope: is set per report, in its entry of reports, not in the defaults',
      'reports[0] (a).slackChanel: is not a key of a report, so its value would be ignored; did you mean slackChannel?',
      expect.stringMatching(
        /^reports\[0\] \(a\)\.alarmEmail: is not a key of a report, so its value would be ignored; a report takes name, schedule, /,
      ),
      'reports[0] (a).baselineDays: is set once for the whole deployment, at the top level of the context (in a reports document, in its defaults), not per report',
    ]);
  });

  it("tells a report that sets one of the stack's deployment keys where it belongs", () => {
    // Act
    const parsed = parseReports(
      { defaults: ACME, reports: [{ name: 'a', alarmEmail: 'x@acme.example' }] },
      { deploymentKeys: ['alarmEmail'] },
    );

    // Assess
    expect(lines(parsed)).toEqual([
      'reports[0] (a).alarmEmail: is set once for the whole deployment, at the top level of the context (in a reports document, in its defaults), not per report',
    ]);
  });

  it('refuses a document that is not one, naming what to write', () => {
    // Act + Assess
    expect(lines(parseReports([]))).toEqual([
      'the reports document: must be an object {"defaults": {…}, "reports": [{"name": …}, …]}',
    ]);
    expect(lines(parseReports({ schema: 2, defaults: [], reports: [] }))).toEqual([
      'schema: must be 1 or absent (got 2)',
      'defaults: must be an object of report settings, e.g. {"orgName": "Acme", "timezone": "Europe/Berlin"}',
      `reports: lists no report; list at least one, e.g. -c reports='[{"name":"security","emailTo":["security@example.com"]}]'`,
    ]);
    expect(lines(parseReports({ reports: 'security' }))).toEqual([
      expect.stringMatching(/^reports: is not valid JSON \(.*\); e\.g\./),
    ]);
  });

  it('refuses two reports whose archive prefixes clash', () => {
    // Act
    const parsed = parseReports({ defaults: ACME, reports: [{ name: 'default' }, { name: 'acme' }] });

    // Assess
    expect(lines(parsed)).toEqual([
      'reports: reports default and acme would share the archive prefix reports/acme/ (a report named default is keyed by its org name): rename one',
    ]);
  });
});

describe('the settings table', () => {
  it('gives the stack its context keys, a report its keys, and the defaults theirs', () => {
    // Act
    const settings = Object.keys(REPORT_SETTINGS);

    // Assess
    expect(CONTEXT_KEYS).toEqual([...DEFAULTS_KEYS, ...DEPLOYMENT_KEYS, 'reports']);
    expect(DEFAULTS_KEYS).toEqual(settings.filter((k) => k !== 'scope'));
    expect(ENTRY_KEYS).toEqual(['name', ...settings.filter((k) => !['windowDays', 'baselineDays'].includes(k))]);
    expect(DEPLOYMENT_SETTING_KEYS).toEqual(['windowDays', 'baselineDays']);
  });

  it('puts every setting somewhere in the definition, each in its own place', () => {
    // Act
    const fields = Object.values(REPORT_SETTINGS).map((s) => s.field);

    // Assess
    expect(new Set(fields).size).toBe(fields.length);
  });
});
