/**
 * The `exceptions` setting (config/report-settings.ts, config/values.ts parseExceptions): each
 * entry matches flags as a suppress rule does and must say who accepted them, why and until which
 * day; a day more than a year after the moment the document is read is refused (at synth and at
 * cold start alike), naming the latest day allowed. "Now" is an option of the parser, so these
 * tests give it and mean the same on any day they run.
 */
import { parseReports } from '../../../functions/weekly-report/config/parse-reports';
import type { ReportDefinition } from '../../../functions/weekly-report/config/report-definitions';
import { oneYearAfter, parseExceptions } from '../../../functions/weekly-report/config/values';

const SLACK = { orgName: 'Acme', slackChannel: 'C0SRE00001' };
/** The moment the documents below are read: 6 Dec 2026, 10:00 UTC. */
const NOW = Date.parse('2026-12-06T10:00:00Z');
const VALID = {
  kind: 'destructive_action',
  user: 'dana@example.com',
  owner: 'secops@example.com',
  reason: 'monitor clean-up before the Terraform migration',
  expires: '2027-01-31',
};

function reports(document: Parameters<typeof parseReports>[0], now = NOW): readonly ReportDefinition[] {
  const parsed = parseReports(document, { now });
  if (!parsed.ok) throw new Error(`refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.reports;
}

function problems(exceptions: unknown, now = NOW): string[] {
  const parsed = parseReports({ reports: [{ name: 'x', ...SLACK, exceptions }] }, { now });
  return parsed.ok ? [] : parsed.problems.map((p) => `${p.key}: ${p.message}`);
}

describe('the exceptions setting', () => {
  it('is empty by default, and reads each entry into the definition, per report over the defaults', () => {
    // Act
    const [inherited, own, none] = reports({
      defaults: { ...SLACK, exceptions: [VALID] },
      reports: [
        { name: 'inherits' },
        { name: 'own', exceptions: [{ ...VALID, user: 'bo@example.com' }] },
        { name: 'none', exceptions: [] },
      ],
    });
    const [plain] = reports({ reports: [{ name: 'plain', ...SLACK }] });

    // Assess
    expect(inherited?.exceptions).toEqual([VALID]);
    expect(own?.exceptions).toEqual([{ ...VALID, user: 'bo@example.com' }]);
    expect(none?.exceptions).toEqual([]);
    expect(plain?.exceptions).toEqual([]);
  });

  it('takes its JSON text, as -c exceptions=… gives it', () => {
    const [report] = reports({ reports: [{ name: 'x', ...SLACK, exceptions: JSON.stringify([VALID]) }] });
    expect(report?.exceptions).toEqual([VALID]);
  });

  it('refuses an exception without owner, reason or expires, naming each and what to write', () => {
    // Act
    const found = problems([{ kind: 'destructive_action', user: 'dana@example.com' }]);

    // Assess
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^exceptions: \[0\]\.owner is required: who accepted these flags/);
    expect(found[1]).toMatch(/^exceptions: \[0\]\.reason is required: why they are accepted/);
    expect(found[2]).toMatch(
      /^exceptions: \[0\]\.expires is required: the last day it holds, YYYY-MM-DD, at most a year ahead \(2027-12-06\)/,
    );
    for (const p of found) expect(p).toContain(`e.g. -c exceptions='[{"kind":"destructive_action"`);
  });

  it('refuses a day more than a year after the moment it is read, and takes one exactly a year after', () => {
    expect(problems([{ ...VALID, expires: '2027-12-07' }])).toEqual([
      expect.stringMatching(
        /^exceptions: \[0\]\.expires is 2027-12-07, more than a year ahead: an exception holds at most a year \(until 2027-12-06\); renew it when it expires/,
      ),
    ]);
    expect(problems([{ ...VALID, expires: '2027-12-06' }])).toEqual([]);
    // The same document read a day later (a cold start the next day) takes a day more.
    expect(problems([{ ...VALID, expires: '2027-12-07' }], NOW + 86_400_000)).toEqual([]);
  });

  it('takes a day already past: the groups it matched then say it expired', () => {
    expect(problems([{ ...VALID, expires: '2026-01-31' }])).toEqual([]);
  });

  it.each([
    [
      'a day that is not one',
      { ...VALID, expires: '2027-02-30' },
      '[0].expires must be a day written YYYY-MM-DD (got "2027-02-30")',
    ],
    [
      'a time instead of a day',
      { ...VALID, expires: '2027-01-31T00:00:00Z' },
      '[0].expires must be a day written YYYY-MM-DD',
    ],
    ['an unknown kind', { ...VALID, kind: 'everything' }, '[0].kind must be one of destructive_action'],
    ['an unknown key', { ...VALID, until: 'never' }, '[0] has unknown key until'],
    ['an owner on two lines', { ...VALID, owner: 'a\nb' }, '[0].owner must be one line of at most 200 characters'],
    ['an empty reason', { ...VALID, reason: ' ' }, '[0].reason is required'],
    ['a numeric user', { ...VALID, user: 7 }, '[0].user must be a string'],
  ])('refuses %s, naming it', (_name, entry, problem) => {
    const found = problems([entry]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(problem);
  });

  it('refuses a value that is not a list', () => {
    expect(parseExceptions({ kind: 'x' }, NOW).problems).toEqual([
      'must be a JSON array of {kind, user?, resource_type?, action?, client?, agent?, owner, reason, expires}',
    ]);
    expect(parseExceptions('[', NOW).problems).toEqual(['is not valid JSON']);
  });

  it('says a year after a day as the calendar does (29 February gives 1 March)', () => {
    expect(oneYearAfter(Date.parse('2026-12-06T23:59:00Z'))).toBe('2027-12-06');
    expect(oneYearAfter(Date.parse('2028-02-29T12:00:00Z'))).toBe('2029-03-01');
  });
});
