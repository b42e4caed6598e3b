/**
 * The `activity` setting (config/report-settings.ts): `all` by default, `mcp` for the seed's
 * query alone, anything else refused naming both; a report's own value wins over the defaults;
 * reports of different activities never share a read (fetchGroupKey); and a suppression may name
 * the agent of an `autonomous_change` flag.
 */
import { parseReports } from '../../../functions/weekly-report/config/parse-reports';
import { fetchGroupKey, type ReportDefinition } from '../../../functions/weekly-report/config/report-definitions';
import { parseSuppress } from '../../../functions/weekly-report/config/values';

const SLACK = { orgName: 'Acme', slackChannel: 'C0SRE00001' };

function reports(document: Parameters<typeof parseReports>[0]): readonly ReportDefinition[] {
  const parsed = parseReports(document);
  if (!parsed.ok) throw new Error(`refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.reports;
}

describe('the activity setting', () => {
  it('is all by default, mcp when asked, per report over the defaults', () => {
    // Act
    const [org, seed, inherited] = reports({
      defaults: { ...SLACK, activity: 'mcp' },
      reports: [{ name: 'org', activity: 'all' }, { name: 'seed' }, { name: 'third' }],
    });
    const [plain] = reports({ reports: [{ name: 'plain', ...SLACK }] });

    // Assess
    expect(org?.activity).toBe('all');
    expect(seed?.activity).toBe('mcp');
    expect(inherited?.activity).toBe('mcp');
    expect(plain?.activity).toBe('all');
  });

  it('refuses another value, naming what to write', () => {
    const parsed = parseReports({ reports: [{ name: 'x', ...SLACK, activity: 'agents' }] });
    expect(parsed.ok).toBe(false);
    expect(JSON.stringify(parsed)).toMatch(/"agents\\" is not an activity; use \\"all\\".*or \\"mcp\\"/);
  });

  it('keeps reports of different activities out of one read', () => {
    const [all, mcp, also] = reports({
      reports: [
        { name: 'all', ...SLACK },
        { name: 'mcp', ...SLACK, activity: 'mcp' },
        { name: 'also', ...SLACK, activity: 'all' },
      ],
    });
    expect(fetchGroupKey(all!)).not.toBe(fetchGroupKey(mcp!));
    expect(fetchGroupKey(all!)).toBe(fetchGroupKey(also!));
  });
});

describe('suppress', () => {
  it('takes the agent of a flag', () => {
    expect(parseSuppress([{ kind: 'autonomous_change', agent: 'Bits AI SRE', resource_type: 'monitor' }])).toEqual({
      value: [{ kind: 'autonomous_change', agent: 'Bits AI SRE', resource_type: 'monitor' }],
      problems: [],
    });
    expect(parseSuppress([{ kind: 'autonomous_change', agent: 3 }]).problems).toEqual(['[0].agent must be a string']);
  });
});
