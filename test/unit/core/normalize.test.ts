import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import {
  EventRecord,
  normalizeEvent,
  parseIsoUtcFast,
  parseTime,
} from '../../../functions/weekly-report/core/normalize';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import { reportSettings, UNKNOWN } from '../../../functions/weekly-report/core/types';
import { auditEvent, plainRecord } from '../../support/audit-events';
import { generateEvents } from '../../support/generator';

describe('normalizeEvent', () => {
  it('makes text well-formed where it enters: a lone surrogate becomes U+FFFD, so the summary JSON stays valid', () => {
    // Prepare
    const raw = auditEvent({ at: '2026-11-16T10:00:00.000Z', action: 'deleted', type: 'mon\ud800itor', id: '42' });
    (raw as { attributes: { attributes: { usr: { email: string } } } }).attributes.attributes.usr.email =
      'ana\udc00@example.com';

    // Act
    const r = normalizeEvent(raw);

    // Assess
    expect(r.resourceType).toBe('mon\ufffditor');
    expect(r.person).toBe('ana\ufffd@example.com');
    const json = JSON.stringify(r);
    expect(json).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
    expect(Buffer.from(json, 'utf8').toString('utf8')).toBe(json);
  });

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
      actorMode: '(unknown)',
      agentName: '(unknown)',
      mcpCall: false,
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

  /** parseTime as it was before the fast path: the definition the fast path must not change. */
  const reference = (value: unknown): number => {
    if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
    if (typeof value !== 'string' || value === '') return Number.NaN;
    if (/^\d+$/.test(value)) return Number(value);
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value);
    const ms = Date.parse(hasZone || !value.includes('T') ? value : `${value}Z`);
    return Number.isFinite(ms) ? ms : Number.NaN;
  };
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  /** Strings of the fast path's shape, digits in and out of range: month 00–19, day 00–39, hour 00–29, minute and second 00–69. */
  const isoLike = fc
    .record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 0, max: 19 }),
      day: fc.integer({ min: 0, max: 39 }),
      hour: fc.integer({ min: 0, max: 29 }),
      minute: fc.integer({ min: 0, max: 69 }),
      second: fc.integer({ min: 0, max: 69 }),
      millis: fc.option(fc.integer({ min: 0, max: 999 })),
    })
    .map(
      (d) =>
        `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}T${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}` +
        `${d.millis === null ? '' : `.${pad(d.millis, 3)}`}Z`,
    );
  /** Any instant of years 0000–9999, as toISOString writes it (the shape Datadog sends). */
  const isoInstant = fc
    .integer({ min: Date.parse('0000-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') })
    .map((ms) => new Date(ms).toISOString());
  /** An ISO string with one character replaced, inserted or removed: near misses of the shape. */
  const mutated = fc
    .tuple(
      isoInstant,
      fc.nat(),
      fc.constantFrom('replace', 'insert', 'remove'),
      fc.string({ minLength: 1, maxLength: 1 }),
    )
    .map(([iso, at, how, c]) => {
      const i = at % iso.length;
      return how === 'replace'
        ? iso.slice(0, i) + c + iso.slice(i + 1)
        : how === 'insert'
          ? iso.slice(0, i) + c + iso.slice(i)
          : iso.slice(0, i) + iso.slice(i + 1);
    });
  const isValidDate = (s: string) => {
    const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
    const date = new Date(0);
    date.setUTCFullYear(y, m - 1, d);
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  };

  it('reads every instant written as YYYY-MM-DDTHH:MM:SS.sssZ exactly as Date.parse, on the fast path (property test)', () => {
    fc.assert(
      fc.property(isoInstant, (iso) => {
        expect(parseIsoUtcFast(iso)).toBe(Date.parse(iso));
        expect(parseIsoUtcFast(iso.replace(/\.\d{3}Z$/, 'Z'))).toBe(Date.parse(iso.replace(/\.\d{3}Z$/, 'Z')));
      }),
      { numRuns: 2000, seed: 1 },
    );
  });

  it('accepts a string of that shape only when it is a real date and time, and then agrees with Date.parse (property test)', () => {
    fc.assert(
      fc.property(isoLike, (s) => {
        const fast = parseIsoUtcFast(s);
        const hh = Number(s.slice(11, 13));
        const mm = Number(s.slice(14, 16));
        const ss = Number(s.slice(17, 19));
        const real = isValidDate(s) && hh <= 23 && mm <= 59 && ss <= 59;
        expect(Number.isNaN(fast)).toBe(!real);
        if (real) expect(fast).toBe(Date.parse(s));
        // Whatever path it takes, parseTime reads it as before.
        expect(parseTime(s)).toBe(reference(s));
      }),
      { numRuns: 5000, seed: 2 },
    );
  });

  it('leaves every other string to the slow path, and parseTime reads it as before (property test)', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string(), fc.string({ unit: 'binary' }), isoLike), (s) => {
        const fast = parseIsoUtcFast(s);
        if (!Number.isNaN(fast)) expect(fast).toBe(Date.parse(s));
        expect(parseTime(s)).toBe(reference(s));
      }),
      { numRuns: 5000, seed: 3 },
    );
  });

  it.each([
    ['2024-02-29T12:00:00.000Z', true], // leap year
    ['2000-02-29T00:00:00.000Z', true], // divisible by 400: leap
    ['1900-02-29T00:00:00.000Z', false], // divisible by 100 only: not leap (Date.parse rolls it to March 1)
    ['2026-02-29T00:00:00.000Z', false],
    ['2026-02-30T00:00:00.000Z', false], // Date.parse reads it as March 2: that stays its business
    ['2026-04-31T00:00:00.000Z', false],
    ['2026-01-01T24:00:00.000Z', false], // hour 24: Date.parse reads the next midnight
    ['2026-01-01T23:59:60.000Z', false],
    ['2026-11-16T10:00:00Z', true], // no millis
    ['2026-11-16T10:00:00.5Z', false], // one digit of millis
    ['2026-11-16T10:00:00.123456Z', false], // micros
    ['2026-11-16T10:00:00.000+01:00', false], // another zone
    ['2026-11-16T10:00:00.000z', false], // lower-case z
    ['2026-11-16T10:00:00.000', false], // no zone (the inner timestamp): read as UTC by the slow path
    ['2026-11-16 10:00:00.000Z', false],
    ['+002026-11-16T10:00:00.000Z', false], // extended year
    ['0000-01-01T00:00:00.000Z', true],
    ['9999-12-31T23:59:59.999Z', true],
  ])('%s: fast path %s, and parseTime reads it as before', (s, fast) => {
    expect(Number.isNaN(parseIsoUtcFast(s))).toBe(!fast);
    if (fast) expect(parseIsoUtcFast(s)).toBe(Date.parse(s));
    expect(parseTime(s)).toBe(reference(s));
  });
});

describe('EventRecord', () => {
  const events = [
    ...generateEvents({
      seed: 21,
      from: new Date('2026-11-16T09:00:00Z'),
      to: new Date('2026-11-23T09:00:00Z'),
      count: 400,
      hostileRate: 0.1,
      malformedRate: 0.2,
      nonMcpRate: 0.05,
    }),
  ];

  it('reused for event after event, reads each exactly as a fresh record does (property test)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...events), { minLength: 1, maxLength: 30 }), (sequence) => {
        const reused = new EventRecord();
        for (const raw of sequence) {
          expect(plainRecord(reused.read(raw))).toEqual(plainRecord(new EventRecord().read(raw)));
        }
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it('fed to an aggregate raw (one reused record, people found by key field) sums up as fresh plain records do', () => {
    const settings = reportSettings({ org: 'Acme' });
    const viaRaw = new WindowAggregate();
    const viaRecords = new WindowAggregate();
    const baseRaw = new BaselineAggregate({ from: 0, to: Date.parse('2026-11-20T00:00:00Z') });
    const baseRecords = new BaselineAggregate({ from: 0, to: Date.parse('2026-11-20T00:00:00Z') });
    for (const raw of events) {
      viaRaw.add(raw);
      baseRaw.add(raw);
      // A plain object is no EventRecord: the aggregates look it up by its personKey.
      const record = plainRecord(new EventRecord().read(raw));
      viaRecords.addRecord(record);
      baseRecords.addRecord(record);
    }
    expect(summarize(viaRaw, baseRaw, settings)).toEqual(summarize(viaRecords, baseRecords, settings));
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
