/**
 * `npm run audit` (scripts/audit.cjs) on npm's audit answers, without the network: a report
 * with today's two development-only advisories (both under s3rver) is listed with the chain that
 * brings each in and passes; the same advisory in what ships fails; an advisory service that
 * cannot be reached (a registry answering 405, no network) is said so and passes.
 */

interface AuditRead {
  readonly ok: boolean;
  readonly why?: string;
  readonly report?: unknown;
}
interface AuditScript {
  readAudit(run: { stdout: string; stderr: string; status: number | null }): AuditRead;
  formatAudit(all: AuditRead, production: AuditRead): { code: number; text: string };
}
const { readAudit, formatAudit } = require('../../scripts/audit.cjs') as AuditScript;

/** npm audit --json (report version 2) of the whole tree as it stands: two advisories under s3rver. */
const TODAY = {
  auditReportVersion: 2,
  vulnerabilities: {
    dicer: {
      name: 'dicer',
      severity: 'high',
      isDirect: false,
      via: [
        {
          source: 1093631,
          name: 'dicer',
          dependency: 'dicer',
          title: 'Crash in HeaderParser in dicer',
          url: 'https://github.com/advisories/GHSA-wm7h-9275-46v2',
          severity: 'high',
          range: '<=0.3.1',
        },
      ],
      effects: ['busboy'],
      range: '*',
      nodes: ['node_modules/dicer'],
      fixAvailable: false,
    },
    busboy: {
      name: 'busboy',
      severity: 'high',
      isDirect: false,
      via: ['dicer'],
      effects: ['s3rver'],
      range: '<=0.3.1',
      nodes: ['node_modules/busboy'],
      fixAvailable: false,
    },
    'fast-xml-parser': {
      name: 'fast-xml-parser',
      severity: 'high',
      isDirect: false,
      via: [
        {
          source: 1098383,
          name: 'fast-xml-parser',
          dependency: 'fast-xml-parser',
          title: 'fast-xml-parser vulnerable to ReDOS at currency parsing',
          url: 'https://github.com/advisories/GHSA-mpg4-rc92-vx8v',
          severity: 'high',
          range: '<4.4.1',
        },
      ],
      effects: ['s3rver'],
      range: '<4.4.1',
      nodes: ['node_modules/fast-xml-parser'],
      fixAvailable: false,
    },
    s3rver: {
      name: 's3rver',
      severity: 'high',
      isDirect: true,
      via: ['busboy', 'fast-xml-parser'],
      effects: [],
      range: '>=3.0.0',
      nodes: ['node_modules/s3rver'],
      fixAvailable: false,
    },
  },
  metadata: { vulnerabilities: { high: 4, total: 4 } },
};
const NONE = { auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { total: 0 } } };

const answer = (report: unknown) => ({ stdout: JSON.stringify(report), stderr: '', status: 1 });

describe('npm run audit', () => {
  it('lists each development-only advisory with the chain that brings it in, and passes', () => {
    // Prepare
    const all = readAudit(answer(TODAY));
    const production = readAudit(answer(NONE));

    // Act
    const { code, text } = formatAudit(all, production);

    // Assess
    expect(code).toBe(0);
    expect(text).toMatch(/^npm audit: 2 advisories, 0 in what ships:/);
    expect(text).toContain(
      '- dicer <=0.3.1 [high, development only] GHSA-wm7h-9275-46v2 Crash in HeaderParser in dicer\n    via s3rver > busboy > dicer; fix: no fix; https://github.com/advisories/GHSA-wm7h-9275-46v2',
    );
    expect(text).toContain(
      '- fast-xml-parser <4.4.1 [high, development only] GHSA-mpg4-rc92-vx8v fast-xml-parser vulnerable to ReDOS at currency parsing\n    via s3rver > fast-xml-parser; fix: no fix;',
    );
  });

  it('fails when an advisory touches what ships', () => {
    // Prepare
    const { s3rver: _dev, busboy: _busboy, dicer: _dicer, ...shipped } = TODAY.vulnerabilities;
    const production = readAudit(answer({ ...TODAY, vulnerabilities: shipped }));

    // Act
    const { code, text } = formatAudit(readAudit(answer(TODAY)), production);

    // Assess
    expect(code).toBe(1);
    expect(text).toMatch(/^npm audit: 2 advisories, 1 in what ships:/);
    expect(text).toContain('- fast-xml-parser <4.4.1 [high, SHIPS] GHSA-mpg4-rc92-vx8v');
  });

  it('says so, and passes, when no advisory service answers', () => {
    // Prepare: what npm printed here (a registry that answers the audit endpoint 405), and no network at all.
    const refused = readAudit({
      stdout: JSON.stringify({
        message: '405 Method Not Allowed - POST <registry>/-/npm/v1/security/advisories/bulk',
        statusCode: 405,
      }),
      stderr: 'npm error audit endpoint returned an error',
      status: 1,
    });
    const offline = readAudit({
      stdout: '',
      stderr: 'npm error code ENOTFOUND\nnpm error network request failed',
      status: 1,
    });

    // Act
    const outcomes = [formatAudit(refused, refused), formatAudit(offline, offline)];

    // Assess
    expect(outcomes.map((o) => o.code)).toEqual([0, 0]);
    expect(outcomes[0]?.text).toMatch(
      /^npm audit: no advisory service could be reached \(405 Method Not Allowed .*\); nothing was checked\./,
    );
    expect(outcomes[1]?.text).toMatch(/^npm audit: no advisory service could be reached \(npm error code ENOTFOUND\)/);
    expect(outcomes[0]?.text).toContain('docs/security.md');
  });

  it('says so when there is nothing to report', () => {
    // Act
    const { code, text } = formatAudit(readAudit(answer(NONE)), readAudit(answer(NONE)));

    // Assess
    expect(code).toBe(0);
    expect(text).toBe('npm audit: no known advisories.\n');
  });
});
