/**
 * Audit data written by an attacker, beyond markup (test/unit/render/hostile.test.ts): names of
 * Object.prototype's members as people, actions, resource types and countries, and JSON keys
 * `__proto__` and `constructor` in a Datadog page, are counted as data and pollute nothing
 * (prototype pollution); 100,000-character values shaped to make a backtracking regular expression
 * take quadratic or exponential time go through the whole path (page decoding, normalizing,
 * summarizing, rendering the email, the Slack post and the text) in linear time (ReDoS). No network.
 */
import { decodeSearchPage } from '../../functions/weekly-report/adapters/datadog/audit-page';
import { WindowAggregate } from '../../functions/weekly-report/core/aggregate';
import { RecordBatchReader } from '../../functions/weekly-report/core/record-batch';
import { summarize } from '../../functions/weekly-report/core/summarize';
import { reportSettings } from '../../functions/weekly-report/core/types';
import { renderReport } from '../../functions/weekly-report/render';
import { formatTextReport } from '../../functions/weekly-report/render/text-report';
import { auditEvent } from '../support/audit-events';

const FROM = Date.parse('2026-11-16T00:00:00Z');
const TO = Date.parse('2026-11-23T00:00:00Z');
const settings = reportSettings({ org: 'Acme', window: { from: FROM, to: TO } });

/** The summary of `events`, decoded from a search response body as the function decodes Datadog's. */
function summaryOfPage(body: string) {
  const outcome = decodeSearchPage(Buffer.from(body));
  if (!outcome.ok) throw new Error(outcome.problem);
  const aggregate = new WindowAggregate();
  const reader = new RecordBatchReader(outcome.page.records);
  for (let i = 0; i < reader.length; i++) aggregate.addRecord(reader.at(i));
  return summarize(aggregate, undefined, settings);
}

const MEMBERS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

describe('prototype pollution', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it("counts Object.prototype's member names as people, actions, types and countries, and pollutes nothing", () => {
    // Prepare: each name is a person, an action and a resource type of 2 calls; the page also
    // carries `__proto__` and `constructor` keys where a careless merge would copy them.
    const events = MEMBERS.flatMap((name, i) =>
      [0, 1].map((k) =>
        auditEvent({
          at: FROM + (i * 2 + k) * 3_600_000,
          user: { id: name, email: name, name },
          action: name,
          type: name,
          country: name,
        }),
      ),
    );
    const body = JSON.stringify({ data: events, meta: { page: {} } }).replace(
      /"attributes":\{"evt"/g,
      '"attributes":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"evt"',
    );

    // Act
    const summary = summaryOfPage(body);
    const report = renderReport(summary, { slackChannel: 'C0123456789' });

    // Assess
    expect(body).toContain('"__proto__":{"polluted":"yes"}');
    expect(summary.total_tool_calls).toBe(MEMBERS.length * 2);
    expect(summary.unique_users).toBe(MEMBERS.length);
    expect(new Map(summary.actions_breakdown.map((a) => [a.action, a.count]))).toEqual(
      new Map(MEMBERS.map((name) => [name, 2])),
    );
    expect(new Map(summary.resource_types.map((t) => [t.type, t.count]))).toEqual(
      new Map(MEMBERS.map((name) => [name, 2])),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(typeof ({} as { toString: unknown }).toString).toBe('function');
    expect(report.text).toContain('__proto__');
  });
});

describe('ReDoS', () => {
  const LONG = 100_000;
  /** Shapes that make a backtracking pattern (nested quantifiers, alternations that overlap) explode. */
  const PATHOLOGICAL = [
    `${'a'.repeat(LONG)}!`,
    `${' '.repeat(LONG)}x`,
    `${'\t '.repeat(LONG / 2)}\n`,
    '<'.repeat(LONG),
    `${'&'.repeat(LONG)};`,
    `${'&#'.repeat(LONG / 2)}x`,
    '\\'.repeat(LONG),
    `${'@'.repeat(LONG)}.`,
    `${'a.'.repeat(LONG / 2)}@`,
    '*_~`'.repeat(LONG / 4),
    '\u202e\u2066'.repeat(LONG / 2),
    `${'9'.repeat(LONG)}e`,
    `2026-11-20T${'0'.repeat(LONG)}`,
    `${'https://'.repeat(LONG / 8)}`,
    `${'\ud83d'.repeat(LONG)}`,
  ];

  it('takes every field of 100,000-character pathological values through decode, summary and all renderers in linear time', () => {
    // Prepare: one event per value, the value in every text field the report reads (and the inner timestamp).
    const events = PATHOLOGICAL.map((value, i) => {
      const event = auditEvent({
        at: FROM + i * 3_600_000,
        user: { id: value, email: value, name: value },
        action: value,
        type: value,
        id: value,
        name: value,
        country: value,
        ip: value,
        actorType: value,
        mode: value,
      });
      ((event.attributes as Record<string, unknown>).attributes as Record<string, unknown>).timestamp = value;
      return event;
    });
    const body = JSON.stringify({ data: events, meta: { page: {} } });

    // Act
    const started = performance.now();
    const summary = summaryOfPage(body);
    const report = renderReport(summary, { slackChannel: 'C0123456789' });
    const text = formatTextReport(summary);
    const ms = performance.now() - started;

    // Assess: ~15 MB of text in all. A quadratic pattern over one 100,000-character value alone
    // takes 10^10 steps (minutes); the linear path takes well under a second here.
    expect(body.length).toBeGreaterThan(PATHOLOGICAL.length * LONG * 8);
    expect(summary.total_tool_calls).toBe(PATHOLOGICAL.length);
    expect(report.html.length).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(0);
    expect(ms).toBeLessThan(10_000);
  });
});
