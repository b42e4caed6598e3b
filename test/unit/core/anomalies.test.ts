import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { burstEpisodes } from '../../../functions/weekly-report/core/anomalies';
import { auditTrailLink } from '../../../functions/weekly-report/core/links';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import type { ReportSettings, Summary } from '../../../functions/weekly-report/core/types';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { auditEvent, calls, person } from '../../support/audit-events';

const FROM = Date.parse('2026-11-16T09:00:00Z');
const TO = FROM + 7 * 86_400_000;
const MIN = 60_000;

function run(windowEvents: unknown[], baselineEvents?: unknown[], overrides: Partial<ReportSettings> = {}): Summary {
  const window = new WindowAggregate();
  for (const e of windowEvents) window.add(e);
  let baseline: BaselineAggregate | undefined;
  if (baselineEvents) {
    baseline = new BaselineAggregate({ from: FROM - 7 * 86_400_000, to: FROM });
    for (const e of baselineEvents) baseline.add(e);
  }
  return summarize(
    window,
    baseline,
    reportSettings({
      org: 'Acme',
      window: { from: FROM, to: TO },
      ...overrides,
    }),
  );
}

const kinds = (s: Summary, kind: string) => s.anomalies.filter((a) => a.kind === kind);

describe('high_volume', () => {
  it('does not fire at exactly burstCalls calls within burstMinutes', () => {
    const s = run(calls(100, FROM + 60 * MIN, 5_000, { user: person('bob') }));
    expect(kinds(s, 'high_volume')).toHaveLength(0);
    expect(s.anomaly_counts.high_volume).toBe(0);
  });

  it('fires at burstCalls + 1 calls within burstMinutes', () => {
    // 101 calls spanning 9 min 59 s
    const s = run(calls(101, FROM + 60 * MIN, 5_990, { user: person('bob') }));
    const flags = kinds(s, 'high_volume');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ user: 'bob@example.com', count: 101, severity: 'medium' });
    expect(flags[0]!.timestamp).toBe(new Date(FROM + 60 * MIN).toISOString());
  });

  it('treats the window as half-open: 101 calls whose last is exactly burstMinutes after the first do not fire', () => {
    const s = run(calls(101, FROM + 60 * MIN, 6_000, { user: person('bob') }));
    expect(kinds(s, 'high_volume')).toHaveLength(0);
  });

  it('reports one flag per episode, joining overlapping windows', () => {
    const first = calls(150, FROM + 60 * MIN, 2_000, { user: person('bob') }); // one long episode (5 min)
    const second = calls(101, FROM + 24 * 60 * MIN, 1_000, { user: person('bob') }); // next day
    const s = run([...first, ...second]);
    const flags = kinds(s, 'high_volume');
    expect(flags.map((f) => f.count)).toEqual([150, 101]);
  });

  it('honours configured thresholds', () => {
    const s = run(calls(11, FROM, 1_000, { user: person('bob') }), undefined, {
      thresholds: {
        burstCalls: 10,
        burstMinutes: 1,
        scopeMinBaselineCalls: 20,
        highSeverityResourceTypes: ['monitor'],
        newClientSeverity: 'low',
      },
    });
    expect(kinds(s, 'high_volume')).toHaveLength(1);
  });

  it('finds episodes in sorted times (edge cases of the sliding window)', () => {
    expect(burstEpisodes([0, 1, 2], 2, 3)).toEqual([{ start: 0, end: 2, peak: 3 }]);
    expect(burstEpisodes([0, 1, 3], 2, 3)).toEqual([]);
    expect(burstEpisodes([0, 0, 0, 10, 10, 10], 2, 1)).toEqual([
      { start: 0, end: 2, peak: 3 },
      { start: 3, end: 5, peak: 3 },
    ]);
    expect(burstEpisodes([], 0, 1)).toEqual([]);
  });
});

describe('destructive_action', () => {
  it('flags every deletion, high on monitors and dashboards, medium elsewhere', () => {
    const s = run([
      auditEvent({ at: FROM + MIN, action: 'deleted', type: 'monitor', id: 'm1' }),
      auditEvent({ at: FROM + 2 * MIN, action: 'deleted', type: 'dashboard', id: 'd1' }),
      auditEvent({ at: FROM + 3 * MIN, action: 'deleted', type: 'notebook', id: 'n1' }),
      auditEvent({ at: FROM + 4 * MIN, action: 'modified', type: 'monitor', id: 'm2' }),
    ]);
    expect(kinds(s, 'destructive_action').map((f) => [f.resource_id, f.severity])).toEqual([
      ['m1', 'high'],
      ['d1', 'high'],
      ['n1', 'medium'],
    ]);
  });

  it('uses the configured high-severity resource types', () => {
    const s = run([auditEvent({ at: FROM, action: 'deleted', type: 'notebook' })], undefined, {
      thresholds: {
        burstCalls: 100,
        burstMinutes: 10,
        scopeMinBaselineCalls: 20,
        highSeverityResourceTypes: ['notebook'],
        newClientSeverity: 'low',
      },
    });
    expect(kinds(s, 'destructive_action')[0]!.severity).toBe('high');
  });
});

describe('support_user', () => {
  it('flags each SUPPORT_USER call as high', () => {
    const s = run([auditEvent({ at: FROM, actorType: 'SUPPORT_USER' }), auditEvent({ at: FROM, actorType: 'USER' })]);
    expect(kinds(s, 'support_user')).toHaveLength(1);
    expect(kinds(s, 'support_user')[0]!.severity).toBe('high');
  });
});

describe('baseline rules', () => {
  const ana = person('ana');
  const newbie = person('newbie');

  it('are unavailable (null counts, a warning) without a baseline, never guessed', () => {
    const s = run([auditEvent({ at: FROM, user: newbie, country: 'Mars', type: 'secret' })]);
    expect(s.anomaly_counts).toMatchObject({
      first_time_user: null,
      out_of_scope: null,
      new_country: null,
      destructive_action: 0,
    });
    expect(s.warnings.join(' ')).toMatch(/not evaluated/);
    expect(s.baseline).toBeUndefined();
  });

  it('are unavailable when the baseline holds no events, instead of flagging everybody as new', () => {
    const s = run([auditEvent({ at: FROM, user: newbie })], []);
    expect(s.anomaly_counts.first_time_user).toBeNull();
    expect(s.baseline).toMatchObject({ events: 0 });
    expect(s.warnings.join(' ')).toMatch(/holds no MCP events/);
  });

  it('first_time_user flags a person absent from the baseline, once, as low', () => {
    const s = run(
      [
        auditEvent({ at: FROM + 5 * MIN, user: newbie }),
        auditEvent({ at: FROM + MIN, user: newbie }),
        auditEvent({ at: FROM, user: ana }),
      ],
      [auditEvent({ at: FROM - 86_400_000, user: ana })],
    );
    const flags = kinds(s, 'first_time_user');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      user: 'newbie@example.com',
      severity: 'low',
      count: 2,
      timestamp: new Date(FROM + MIN).toISOString(),
    });
  });

  it("first_time_user says what happened: no calls in the baseline days before the week, then this week's", () => {
    // Prepare: a 28-day baseline ending where the week starts
    const baselineWindow = { from: FROM - 28 * 86_400_000, to: FROM };
    const windowEvents = [
      ...calls(6, FROM + 86_400_000 + 64 * MIN, MIN, { user: newbie }),
      auditEvent({ at: FROM + 2 * 86_400_000, user: person('solo') }),
      auditEvent({ at: FROM, user: ana }),
    ];

    // Act
    const s = run(windowEvents, [auditEvent({ at: FROM - 86_400_000, user: ana })], { baselineWindow });

    // Assess
    const details = kinds(s, 'first_time_user').map((f) => f.detail);
    expect(details).toEqual([
      'First MCP use: no calls in the 28 days before this week; 6 calls this week, the first on 2026-11-17 10:04',
      'First MCP use: no calls in the 28 days before this week; 1 call this week, on 2026-11-18 09:00',
    ]);
  });

  it('first_time_user says "the baseline" when its length is not known', () => {
    // Act: no baselineWindow in the settings, a baseline aggregate without a range
    const s = run([auditEvent({ at: FROM, user: newbie })], [auditEvent({ at: FROM - 86_400_000, user: ana })]);

    // Assess
    expect(kinds(s, 'first_time_user')[0]?.detail).toBe(
      'First MCP use: no calls in the baseline; 1 call this week, on 2026-11-16 09:00',
    );
  });

  it('out_of_scope needs scopeMinBaselineCalls baseline calls: 19 do not, 20 do', () => {
    const windowEvents = [auditEvent({ at: FROM, user: ana, type: 'security_rule', id: 'r1' })];
    const base = (n: number) => calls(n, FROM - 3 * 86_400_000, MIN, { user: ana, type: 'dashboard' });
    expect(kinds(run(windowEvents, base(19)), 'out_of_scope')).toHaveLength(0);
    const flags = kinds(run(windowEvents, base(20)), 'out_of_scope');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ resource_type: 'security_rule', resource_id: 'r1', severity: 'medium' });
  });

  it('out_of_scope ignores resource types seen in the baseline and unknown types', () => {
    const base = [
      ...calls(20, FROM - 3 * 86_400_000, MIN, { user: ana, type: 'dashboard' }),
      auditEvent({ at: FROM - 86_400_000, user: ana, type: 'monitor' }),
    ];
    const raw = auditEvent({ at: FROM, user: ana }) as { attributes: { attributes: { asset?: unknown } } };
    delete raw.attributes.attributes.asset;
    const s = run([auditEvent({ at: FROM, user: ana, type: 'monitor' }), raw], base);
    expect(kinds(s, 'out_of_scope')).toHaveLength(0);
  });

  it('new_country flags a country absent from the person baseline, one flag per person and country', () => {
    const s = run(
      [
        auditEvent({ at: FROM + MIN, user: ana, country: 'Brazil' }),
        auditEvent({ at: FROM + 2 * MIN, user: ana, country: 'Brazil' }),
        auditEvent({ at: FROM + 3 * MIN, user: ana, country: 'France' }),
      ],
      [auditEvent({ at: FROM - 86_400_000, user: ana, country: 'France' })],
    );
    const flags = kinds(s, 'new_country');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ count: 2, severity: 'medium' });
    expect(flags[0]!.detail).toContain('Brazil');
  });

  it('new_country does not fire when the baseline knows no country for the person', () => {
    const raw = auditEvent({ at: FROM - 86_400_000, user: ana }) as {
      attributes: { attributes: { network?: unknown } };
    };
    delete raw.attributes.attributes.network;
    const s = run([auditEvent({ at: FROM, user: ana, country: 'Brazil' })], [raw]);
    expect(kinds(s, 'new_country')).toHaveLength(0);
  });
});

describe('suppress, ordering and links', () => {
  it('drops flags matching a suppress rule on kind plus the given fields, and recounts', () => {
    const events = [
      auditEvent({ at: FROM, action: 'deleted', type: 'monitor', user: person('ana') }),
      auditEvent({ at: FROM, action: 'deleted', type: 'monitor', user: person('bob') }),
    ];
    const s = run(events, undefined, { suppress: [{ kind: 'destructive_action', user: 'ANA@example.com' }] });
    expect(kinds(s, 'destructive_action').map((f) => f.user)).toEqual(['bob@example.com']);
    expect(s.anomaly_counts.destructive_action).toBe(1);
  });

  it('sorts by severity, then time', () => {
    const s = run(
      [
        auditEvent({ at: FROM + 3 * MIN, action: 'deleted', type: 'notebook' }), // medium
        auditEvent({ at: FROM + 2 * MIN, action: 'deleted', type: 'monitor' }), // high
        auditEvent({ at: FROM + 1 * MIN, actorType: 'SUPPORT_USER' }), // high
      ],
      undefined,
    );
    expect(s.anomalies.map((a) => [a.severity, a.kind])).toEqual([
      ['high', 'support_user'],
      ['high', 'destructive_action'],
      ['medium', 'destructive_action'],
    ]);
  });

  it('links every flag to the Audit Trail of the configured site, narrowed to person, resource and time', () => {
    const s = run(
      [auditEvent({ at: FROM, action: 'deleted', type: 'monitor', id: 'm"1', user: person('ana') })],
      undefined,
      {
        site: 'datadoghq.eu',
      },
    );
    const url = new URL(s.anomalies[0]!.link);
    expect(url.host).toBe('app.datadoghq.eu');
    expect(url.pathname).toBe('/audit-trail');
    const query = url.searchParams.get('query')!;
    expect(query).toContain('@evt.name:"MCP Server"');
    expect(query).toContain('@usr.id:"u-ana"');
    expect(query).toContain('@asset.id:"m\\"1"');
    expect(Number(url.searchParams.get('from_ts'))).toBeLessThanOrEqual(FROM);
    expect(Number(url.searchParams.get('to_ts'))).toBeGreaterThan(FROM);
  });

  it.each([
    ['datadoghq.com', 'app.datadoghq.com'],
    ['us3.datadoghq.com', 'us3.datadoghq.com'],
    ['us5.datadoghq.com', 'us5.datadoghq.com'],
    ['ap1.datadoghq.com', 'ap1.datadoghq.com'],
    ['ap2.datadoghq.com', 'ap2.datadoghq.com'],
    ['uk1.datadoghq.com', 'uk1.datadoghq.com'],
    ['datadoghq.eu', 'app.datadoghq.eu'],
    ['ddog-gov.com', 'app.ddog-gov.com'],
  ])('uses the app host of %s', (site, host) => {
    expect(new URL(auditTrailLink(site, 0, 1)).host).toBe(host);
  });
});
