/**
 * The triage of the core (core/groups.ts, through summarize): flags of one kind for one person
 * (and, where the rule has one, the same resource type, country or client) form one group with a
 * stable id, its counts, times, resources, highest severity and why, and one link to exactly its
 * events; exceptions accept a group until their day, then the group says they expired; against the
 * previous week each group is new or recurring, and last week's missing groups are resolved.
 */
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { groupId, type RecordedGroups, trackGroups } from '../../../functions/weekly-report/core/groups';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import {
  type AnomalyGroup,
  type ExceptionRule,
  type ReportSettings,
  reportSettings,
  type Summary,
} from '../../../functions/weekly-report/core/types';
import { auditEvent, calls, person } from '../../support/audit-events';

/** A calendar week in UTC: Mon 16 Nov to Mon 23 Nov 2026; its last day is Sun 22 Nov. */
const FROM = Date.parse('2026-11-16T00:00:00Z');
const TO = FROM + 7 * 86_400_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

function run(windowEvents: unknown[], baselineEvents?: unknown[], overrides: Partial<ReportSettings> = {}): Summary {
  const window = new WindowAggregate();
  for (const e of windowEvents) window.add(e);
  let baseline: BaselineAggregate | undefined;
  if (baselineEvents) {
    baseline = new BaselineAggregate({ from: FROM - 28 * 86_400_000, to: FROM });
    for (const e of baselineEvents) baseline.add(e);
  }
  return summarize(window, baseline, reportSettings({ org: 'Acme', window: { from: FROM, to: TO }, ...overrides }));
}

const dana = person('dana');
/** Dana deletes 8 monitors and 4 notebooks over three days. */
const deletions = [
  ...Array.from({ length: 8 }, (_, i) =>
    auditEvent({
      at: FROM + 26 * HOUR + i * HOUR,
      user: dana,
      action: 'deleted',
      type: 'monitor',
      id: `mon-${i}`,
      name: `Monitor ${i}`,
    }),
  ),
  ...Array.from({ length: 4 }, (_, i) =>
    auditEvent({ at: FROM + 72 * HOUR + i * HOUR, user: dana, action: 'deleted', type: 'notebook', id: `nb-${i}` }),
  ),
];

function groupOf(summary: Summary, kind: string, who: string): AnomalyGroup {
  const found = (summary.anomaly_groups ?? []).filter((g) => g.kind === kind && g.person === who);
  expect(found).toHaveLength(1);
  return found[0] as AnomalyGroup;
}

describe('groups of flags', () => {
  it('makes one group of one person’s deletions: its count, times, types, resources, highest severity and why', () => {
    // Act
    const s = run(deletions);

    // Assess: every flag is still in anomalies; one group holds them
    expect(s.anomalies.filter((a) => a.kind === 'destructive_action')).toHaveLength(12);
    expect(s.anomaly_groups).toHaveLength(1);
    const g = groupOf(s, 'destructive_action', 'dana@example.com');
    expect(g).toMatchObject({
      id: groupId('destructive_action', 'id:u-dana', ''),
      severity: 'high',
      severity_reason: 'High: deleted a type rated high (monitor, dashboard)',
      count: 12,
      flags: 12,
      first: '2026-11-17T02:00:00.000Z',
      last: '2026-11-19T03:00:00.000Z',
      resource_types: [
        { type: 'monitor', count: 8 },
        { type: 'notebook', count: 4 },
      ],
      status: 'new',
      weeks: 1,
    });
    expect(g.resources.total).toBe(12);
    expect(g.resources.items).toEqual([
      { type: 'monitor', id: 'mon-0', name: 'Monitor 0' },
      { type: 'monitor', id: 'mon-1', name: 'Monitor 1' },
      { type: 'monitor', id: 'mon-2', name: 'Monitor 2' },
      { type: 'monitor', id: 'mon-3', name: 'Monitor 3' },
      { type: 'monitor', id: 'mon-4', name: 'Monitor 4' },
    ]);
    expect(g.detail).toBeUndefined();
  });

  it('links a group to exactly its events: the person, the action, its types, from its first to its last event', () => {
    // Act
    const g = groupOf(run(deletions), 'destructive_action', 'dana@example.com');

    // Assess
    const url = new URL(g.link);
    expect(url.searchParams.get('query')).toBe(
      '(@evt.name:"MCP Server" OR is_mcp_call:true OR @evt.actor.mode:*) (@usr.id:"u-dana" OR @delegator.id:"u-dana") @action:"deleted" (@asset.type:"monitor" OR @asset.type:"notebook")',
    );
    expect(url.searchParams.get('from_ts')).toBe(String(Date.parse('2026-11-17T02:00:00.000Z')));
    expect(url.searchParams.get('to_ts')).toBe(String(Date.parse('2026-11-19T03:00:00.000Z') + 1));
  });

  it('makes 40 support-user calls of one person one group, and keeps each other kind and person apart', () => {
    // Prepare
    const support = calls(40, FROM + 30 * HOUR, 5 * MIN, { user: person('fatima'), actorType: 'SUPPORT_USER' });

    // Act
    const s = run([...deletions, ...support]);

    // Assess
    expect(s.anomalies).toHaveLength(52);
    expect((s.anomaly_groups ?? []).map((g) => [g.kind, g.person, g.count])).toEqual([
      ['destructive_action', 'dana@example.com', 12],
      ['support_user', 'fatima@example.com', 40],
    ]);
    expect(groupOf(s, 'support_user', 'fatima@example.com').severity_reason).toBe(
      'High: Datadog support acted in the org',
    );
  });

  it('gives a group the highest severity of its flags, and says why', () => {
    // Prepare: notebooks only are medium; one dashboard makes the group high
    const medium = run(deletions.slice(8));
    const mixed = run([
      ...deletions.slice(8),
      auditEvent({ at: FROM + 100 * HOUR, user: dana, action: 'deleted', type: 'dashboard', id: 'd-1' }),
    ]);

    // Assess
    expect(groupOf(medium, 'destructive_action', 'dana@example.com')).toMatchObject({
      severity: 'medium',
      severity_reason: 'Medium: deleted types not rated high',
    });
    expect(groupOf(mixed, 'destructive_action', 'dana@example.com').severity).toBe('high');
  });

  it('keys a rule’s groups on its qualifier: one out_of_scope group per resource type, one new_country per country', () => {
    // Prepare: a regular with 30 baseline calls on dashboards from France
    const ana = person('ana');
    const baseline = calls(30, FROM - 5 * 86_400_000, HOUR, { user: ana, type: 'dashboard', country: 'France' });
    const week = [
      ...calls(2, FROM + HOUR, MIN, { user: ana, type: 'security_rule', country: 'France' }),
      ...calls(2, FROM + 2 * HOUR, MIN, { user: ana, type: 'slo', country: 'France' }),
      ...calls(3, FROM + 3 * HOUR, MIN, { user: ana, type: 'dashboard', country: 'Brazil' }),
    ];

    // Act
    const s = run(week, baseline);

    // Assess
    const groups = s.anomaly_groups ?? [];
    expect(groups.map((g) => [g.kind, g.resource_type ?? g.country, g.count])).toEqual([
      ['out_of_scope', 'security_rule', 2],
      ['out_of_scope', 'slo', 2],
      ['new_country', 'Brazil', 3],
    ]);
    expect(new Set(groups.map((g) => g.id)).size).toBe(3);
    expect(groups[2]?.detail).toBe('Calls from Brazil (3); baseline countries: France');
  });

  it('gives a group the same id every week (kind, person key, qualifier), and another person or kind another', () => {
    // Prepare: the same deletions a week later, and Dana known by another display name then
    const later = deletions.map((e) => {
      const copy = JSON.parse(JSON.stringify(e));
      copy.attributes.timestamp = new Date(Date.parse(copy.attributes.timestamp) + 7 * 86_400_000).toISOString();
      copy.attributes.attributes.usr = { id: 'u-dana', name: 'Dana O.' };
      return copy;
    });

    // Act
    const thisWeek = groupOf(run(deletions), 'destructive_action', 'dana@example.com');
    const nextWeek = run(later, undefined, { window: { from: TO, to: TO + 7 * 86_400_000 } });

    // Assess
    expect(nextWeek.anomaly_groups?.[0]?.id).toBe(thisWeek.id);
    expect(nextWeek.anomaly_groups?.[0]?.person).toBe('Dana O.');
    expect(groupId('destructive_action', 'id:u-dana', '')).not.toBe(groupId('support_user', 'id:u-dana', ''));
    expect(groupId('out_of_scope', 'id:u-dana', 'slo')).not.toBe(groupId('out_of_scope', 'id:u-dana', 'apm'));
    expect(thisWeek.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps suppressed flags out of every group, as of anomalies', () => {
    const s = run(deletions, undefined, { suppress: [{ kind: 'destructive_action', user: 'DANA@example.com' }] });
    expect(s.anomalies).toEqual([]);
    expect(s.anomaly_groups).toEqual([]);
  });
});

describe('exceptions', () => {
  const exception = (expires: string, over: Partial<ExceptionRule> = {}): ExceptionRule => ({
    kind: 'destructive_action',
    user: 'dana@example.com',
    owner: 'secops@example.com',
    reason: 'monitor clean-up',
    expires,
    ...over,
  });

  it('accepts a group whose every flag an exception matches, through its last day, keeping its flags', () => {
    // Act: the week's last day is 22 Nov
    const s = run(deletions, undefined, { exceptions: [exception('2026-11-22')] });

    // Assess
    const g = groupOf(s, 'destructive_action', 'dana@example.com');
    expect(g.accepted).toEqual({ owner: 'secops@example.com', reason: 'monitor clean-up', expires: '2026-11-22' });
    expect(g.exception_expired).toBeUndefined();
    expect(s.anomalies).toHaveLength(12);
    expect(s.anomaly_counts.destructive_action).toBe(12);
  });

  it('stops matching the day after, and the group says the exception expired', () => {
    const g = groupOf(
      run(deletions, undefined, { exceptions: [exception('2026-11-21')] }),
      'destructive_action',
      'dana@example.com',
    );
    expect(g.accepted).toBeUndefined();
    expect(g.exception_expired).toEqual({
      owner: 'secops@example.com',
      reason: 'monitor clean-up',
      expires: '2026-11-21',
    });
  });

  it('leaves a group a card when an exception matches only some of its flags (one of its types)', () => {
    const g = groupOf(
      run(deletions, undefined, { exceptions: [exception('2026-12-31', { resource_type: 'notebook' })] }),
      'destructive_action',
      'dana@example.com',
    );
    expect(g.accepted).toBeUndefined();
    expect(g.count).toBe(12);
  });

  it('takes the last day in the report’s zone', () => {
    // 16–23 Nov UTC ends on Mon 23 Nov 09:00 in Tokyo: its last day there is the 23rd.
    const s = run(deletions, undefined, { exceptions: [exception('2026-11-22')], timezone: 'Asia/Tokyo' });
    expect(groupOf(s, 'destructive_action', 'dana@example.com').exception_expired?.expires).toBe('2026-11-22');
  });
});

describe('week to week', () => {
  const g = (id: string, kind: AnomalyGroup['kind'] = 'destructive_action'): AnomalyGroup =>
    ({ id, kind, person: `${id}@example.com`, severity: 'high', status: 'new', weeks: 1 }) as AnomalyGroup;
  const recorded = (items: Array<[string, number]>, total = items.length): RecordedGroups => ({
    total,
    items: items.map(([id, weeks]) => ({
      id,
      kind: 'destructive_action',
      person: `${id}@example.com`,
      severity: 'high',
      weeks,
    })),
  });

  it('says recurring for one more week than last week said, new otherwise, and lists last week’s others as resolved', () => {
    // Act
    const tracked = trackGroups([g('a'), g('b')], {
      found: true,
      weekEnd: '2026-11-16T00:00:00.000Z',
      groups: recorded([
        ['a', 2],
        ['c', 1],
      ]),
    });

    // Assess
    expect(tracked.groups.map((x) => [x.id, x.status, x.weeks])).toEqual([
      ['a', 'recurring', 3],
      ['b', 'new', 1],
    ]);
    expect(tracked.resolved).toEqual([
      { id: 'c', kind: 'destructive_action', person: 'c@example.com', severity: 'high', weeks: 1 },
    ]);
    expect(tracked.history).toEqual({ previous_week_end: '2026-11-16T00:00:00.000Z' });
  });

  it('says every group is new, and why, without a previous report', () => {
    const tracked = trackGroups([g('a')], {
      found: false,
      note: 'No archived report of the week ending 15 Nov 2026 to compare with: every group is new.',
    });
    expect(tracked.groups.map((x) => x.status)).toEqual(['new']);
    expect(tracked.resolved).toEqual([]);
    expect(tracked.history).toEqual({
      previous_week_end: null,
      note: 'No archived report of the week ending 15 Nov 2026 to compare with: every group is new.',
    });
  });

  it('says when last week recorded only some of its groups', () => {
    const tracked = trackGroups([g('z')], {
      found: true,
      weekEnd: '2026-11-16T00:00:00.000Z',
      groups: recorded([['a', 1]], 600),
    });
    expect(tracked.history.note).toBe(
      'The previous week recorded only its first 1 of 600 groups: a group beyond them reads as new.',
    );
  });

  it('says there is no archive to compare with in a summary made without one', () => {
    expect(run(deletions).group_history).toEqual({
      previous_week_end: null,
      note: 'No report archive holds a previous week to compare with: every group is new.',
    });
  });
});
