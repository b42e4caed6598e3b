import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { normalizeEvent, parseTime } from '../../../functions/weekly-report/core/normalize';
import { UNKNOWN } from '../../../functions/weekly-report/core/types';
import { auditEvent } from '../../support/audit-events';

describe('normalizeEvent', () => {
  it('reads every field of a well-formed MCP call', () => {
    // Prepare
    const raw = auditEvent({
      at: '2026-11-16T10:00:00.000Z',
      action: 'modified',
      type: 'monitor',
      id: '42',
      country: 'Japan',
    });
    // Act
    const r = normalizeEvent(raw);
    // Assess
    expect(r).toMatchObject({
      time: Date.parse('2026-11-16T10:00:00.000Z'),
      personKey: 'id:u-ana',
      person: 'ana@example.com',
      delegated: false,
      actorType: 'USER',
      actorMode: 'interactive',
      action: 'modified',
      resourceType: 'monitor',
      resourceId: '42',
      resourceName: 'Service overview',
      clientIp: '192.0.2.10',
      country: 'Japan',
      eventName: 'MCP Server',
      wellFormed: true,
    });
  });

  it('attributes a delegated call to the delegator, not the agent', () => {
    const r = normalizeEvent(
      auditEvent({
        at: 0,
        user: { id: 'agent-1', name: 'Bits AI agent' },
        delegator: { id: 'u-bob', email: 'bob@example.com' },
      }),
    );
    expect(r.personKey).toBe('id:u-bob');
    expect(r.person).toBe('bob@example.com');
    expect(r.delegated).toBe(true);
  });

  it('keys a person by id, then email, then name, and displays email, then name, then id', () => {
    expect(normalizeEvent(auditEvent({ at: 0, user: { id: 'x1', name: 'Xavier' } }))).toMatchObject({
      personKey: 'id:x1',
      person: 'Xavier',
    });
    expect(normalizeEvent(auditEvent({ at: 0, user: { email: 'e@example.com', name: 'E' } }))).toMatchObject({
      personKey: 'email:e@example.com',
      person: 'e@example.com',
    });
    expect(normalizeEvent(auditEvent({ at: 0, user: { name: 'Only Name' } }))).toMatchObject({
      personKey: 'name:Only Name',
      person: 'Only Name',
    });
    expect(normalizeEvent(auditEvent({ at: 0, user: { id: 7 } }))).toMatchObject({ personKey: 'id:7', person: '7' });
  });

  it('falls back to the user when the delegator has no usable field', () => {
    const r = normalizeEvent(
      auditEvent({ at: 0, user: { id: 'u1', email: 'u1@example.com' }, delegator: { id: '', email: null } }),
    );
    expect(r).toMatchObject({ personKey: 'id:u1', delegated: false });
  });

  it.each([null, undefined, 42, 'text', [], {}, { attributes: null }, { attributes: { attributes: [] } }])(
    'never throws and counts %p as malformed with unknown fields',
    (raw) => {
      const r = normalizeEvent(raw);
      expect(r.wellFormed).toBe(false);
      expect(r.personKey).toBe(UNKNOWN);
      expect(r.action).toBe(UNKNOWN);
      expect(r.resourceType).toBe(UNKNOWN);
      expect(r.country).toBe(UNKNOWN);
    },
  );

  it('treats wrong types as unknown and numbers as text', () => {
    const raw = auditEvent({ at: '2026-11-16T10:00:00Z' }) as { attributes: { attributes: Record<string, unknown> } };
    raw.attributes.attributes.action = ['deleted'];
    raw.attributes.attributes.asset = { type: { nested: true }, id: 12345 };
    raw.attributes.attributes.usr = 'not an object';
    const r = normalizeEvent(raw);
    expect(r).toMatchObject({
      action: UNKNOWN,
      resourceType: UNKNOWN,
      resourceId: '12345',
      personKey: UNKNOWN,
      wellFormed: true,
    });
  });

  it('uses the outer timestamp, and the inner one (zone-less, read as UTC) only when the outer is missing', () => {
    const raw = auditEvent({ at: '2026-11-16T10:00:00.000Z' }) as { attributes: Record<string, unknown> };
    (raw.attributes.attributes as Record<string, unknown>).timestamp = '2026-11-16T11:00:00.123456';
    expect(normalizeEvent(raw).time).toBe(Date.parse('2026-11-16T10:00:00.000Z'));
    delete raw.attributes.timestamp;
    expect(normalizeEvent(raw).time).toBe(Date.parse('2026-11-16T11:00:00.123Z'));
  });
});

describe('parseTime', () => {
  it('accepts ISO with or without zone, epoch numbers and digit strings', () => {
    expect(parseTime('2026-11-16T10:00:00+01:00')).toBe(Date.parse('2026-11-16T09:00:00Z'));
    expect(parseTime('2026-11-16T10:00:00')).toBe(Date.parse('2026-11-16T10:00:00Z'));
    expect(parseTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseTime('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTime('yesterday')).toBeNaN();
    expect(parseTime(null)).toBeNaN();
  });
});

describe('normalizeEvent on real recorded Datadog responses', () => {
  const recorded = JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/datadog/recorded-responses.json'), 'utf8'),
  ) as {
    responses: Array<{ body: { data: unknown[] } }>;
  };
  const events = recorded.responses.flatMap((r) => r.body.data);

  it('reads every recorded event as well-formed, with the outer timestamp and the usr as person', () => {
    expect(events.length).toBeGreaterThan(0);
    for (const raw of events) {
      const r = normalizeEvent(raw);
      const outer = (raw as { attributes: { timestamp: string } }).attributes.timestamp;
      expect(r.wellFormed).toBe(true);
      expect(r.time).toBe(Date.parse(outer));
      expect(r.personKey.startsWith('id:')).toBe(true);
      expect(r.action).not.toBe(UNKNOWN);
    }
  });

  it('leaves these non-MCP events (evt.name "Request", or none) out of a summary only when they say so', () => {
    const window = new WindowAggregate();
    for (const raw of events) window.add(raw);
    const named = events.filter((e) => normalizeEvent(e).eventName !== UNKNOWN).length;
    expect(window.otherEvents).toBe(named);
    expect(window.total).toBe(events.length - named);
  });
});
