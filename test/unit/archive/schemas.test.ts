/**
 * The archive's validators, one by one: what the job writes passes and comes back equal; each
 * wrong type is refused naming the field and what is wrong; an unknown version is refused naming
 * it; older summaries of schema 1 read as documented; extra keys never come through.
 */

import { Invalid, parseJson } from '../../../functions/weekly-report/archive/checks';
import { checkPoint, encodePoint, pointOfSummary } from '../../../functions/weekly-report/archive/point';
import {
  checkEmailHtml,
  checkEmailText,
  checkSlackMessage,
  checkSlackReport,
  SLACK_MAX_BLOCKS,
} from '../../../functions/weekly-report/archive/rendering-schema';
import { checkSummary, checkSummaryFigures } from '../../../functions/weekly-report/archive/summary-schema';
import type { Summary } from '../../../functions/weekly-report/core/types';
import { renderReport } from '../../../functions/weekly-report/render';
import { makeBusySummary, makeFlag, makeGroup, makeHostileSummary, makeSummary } from '../../support/summary-fixtures';

/** A week with groups: one recurring, one accepted, one whose exception expired; one resolved; a trend with AI figures. */
function triagedSummary(): Summary {
  const flags = [makeFlag({}, 0), makeFlag({ user: 'bo@example.com' }, 1), makeFlag({ user: 'cy@example.com' }, 2)];
  const exception = { owner: 'secops@example.com', reason: 'clean-up', expires: '2026-12-31' };
  return makeSummary({
    anomalies: flags,
    anomaly_groups: [
      makeGroup(flags[0]!, { status: 'recurring', weeks: 3 }),
      makeGroup(flags[2]!, { exception_expired: { ...exception, expires: '2026-11-20' } }),
      makeGroup(flags[1]!, { accepted: exception }),
    ],
    resolved_groups: [
      { id: 'ab'.repeat(8), kind: 'high_volume', person: 'chen@example.com', severity: 'medium', weeks: 2 },
    ],
    group_history: { previous_week_end: '2026-11-16T00:00:00.000Z' },
    trend: [
      {
        week_end: '2026-11-16T00:00:00.000Z',
        calls: 1800,
        people: 60,
        anomalies: { high: 0, medium: 1, low: 0 },
        complete: true,
        ai_activity: { total: 2020, autonomous: 36 },
      },
      {
        week_end: '2026-11-23T00:00:00.000Z',
        calls: 2000,
        people: 67,
        anomalies: null,
        complete: true,
        ai_activity: null,
      },
    ],
  });
}

// biome-ignore lint/suspicious/noExplicitAny: a parsed document edited in place to damage it
type Doc = any;

/** The problem `fn` throws (an Invalid's message), or 'passed'. */
function problemOf(fn: () => unknown): string {
  try {
    fn();
    return 'passed';
  } catch (error) {
    if (error instanceof Invalid) return error.message;
    throw error;
  }
}

/** A summary as archived (JSON), changed by `edit`. */
function archived(edit: (doc: Doc) => void, summary: Summary = makeBusySummary()): unknown {
  const doc = JSON.parse(JSON.stringify(summary));
  edit(doc);
  return doc;
}

describe('summary.json (summary schema 1)', () => {
  it.each([
    ['a quiet week', makeSummary()],
    ['a busy week', makeBusySummary()],
    ['hostile values', makeHostileSummary()],
    [
      'a scoped week with its membership and trend',
      makeSummary({
        scope: {
          label: 'team sre',
          membership: { people: 7, fingerprint: `sha256:${'0'.repeat(64)}`, read: 'at run time' },
        },
        trend: [{ week_end: '2026-11-16T00:00:00.000Z', calls: null, people: null, anomalies: null, complete: null }],
      }),
    ],
    [
      'a triaged week: groups, resolved groups, what they were compared with, a trend with AI figures',
      triagedSummary(),
    ],
  ])('passes %s and gives back an equal summary, key order kept', (_name, summary) => {
    const doc = JSON.parse(JSON.stringify(summary));
    expect(JSON.stringify(checkSummary(doc))).toBe(JSON.stringify(doc));
  });

  it.each([
    ['anomalies an object of counts', (d: Doc) => (d.anomalies = { high: 2 }), 'anomalies is not a list'],
    ['a string total', (d: Doc) => (d.total_tool_calls = 'lots'), 'total_tool_calls is not a whole number'],
    ['a negative count', (d: Doc) => (d.unique_users = -1), 'unique_users is not a whole number'],
    ['a fractional count', (d: Doc) => (d.malformed_events = 0.5), 'malformed_events is not a whole number'],
    ['complete as text', (d: Doc) => (d.complete = 'yes'), 'complete is not true or false'],
    [
      'an unknown severity',
      (d: Doc) => (d.anomalies[3].severity = 'critical'),
      'anomalies[3].severity is not one of high, medium, low',
    ],
    ['an unknown anomaly kind', (d: Doc) => (d.anomalies[0].kind = 'odd'), 'anomalies[0].kind is not one of'],
    ['a numeric user', (d: Doc) => (d.top_users[0].user = 42), 'top_users[0].user is not text'],
    [
      'a day that is not a date',
      (d: Doc) => (d.daily_calls[2].date = 'Tuesday'),
      'daily_calls[2].date is not a day (YYYY-MM-DD)',
    ],
    ['a window end that is not ISO', (d: Doc) => (d.window.to = 'next week'), 'window.to is not an ISO time'],
    ['a missing window', (d: Doc) => delete d.window, 'window is missing'],
    ['a bad time zone', (d: Doc) => (d.timezone = 'Mars/Olympus'), 'timezone is not a time zone'],
    ['changes.items an object', (d: Doc) => (d.changes.items = {}), 'changes.items is not a list'],
    [
      'a gap of another kind',
      (d: Doc) => (d.data_gaps.window = [{ cause: 'x', kind: 'some', ranges: [] }]),
      'data_gaps.window[0].kind is not one of lost, partial',
    ],
    [
      'a string count in anomaly_counts',
      (d: Doc) => (d.anomaly_counts.high_volume = '3'),
      'anomaly_counts.high_volume is not a whole number',
    ],
    ['warnings as text', (d: Doc) => (d.warnings = 'none'), 'warnings is not a list'],
    [
      'tools of the wrong shape',
      (d: Doc) => (d.tools = [{ tool: 'x', calls: 'many', previous_calls: null, change: null }]),
      'tools[0].calls is not a whole number',
    ],
    [
      'a trend point with text calls',
      (d: Doc) =>
        (d.trend = [
          { week_end: '2026-11-16T00:00:00.000Z', calls: 'x', people: null, anomalies: null, complete: null },
        ]),
      'trend[0].calls is not a whole number',
    ],
    ['another schema', (d: Doc) => (d.schema = 2), 'schema is 2, not 1 (this version reads summary schema 1)'],
    ['a scope without a label', (d: Doc) => (d.scope = {}), 'scope.label is missing'],
  ])('refuses %s, naming it', (_name, edit, problem) => {
    expect(problemOf(() => checkSummary(archived(edit)))).toContain(problem);
  });

  it.each([
    [
      'a group status of another kind',
      (d: Doc) => (d.anomaly_groups[0].status = 'old'),
      'anomaly_groups[0].status is not one of new, recurring',
    ],
    [
      'a group of no weeks',
      (d: Doc) => (d.anomaly_groups[0].weeks = 0),
      'anomaly_groups[0].weeks is not a number of weeks',
    ],
    [
      'a group id that is not one',
      (d: Doc) => (d.anomaly_groups[1].id = 'g1'),
      'anomaly_groups[1].id is not a group id',
    ],
    [
      'an exception without its day',
      (d: Doc) => (d.anomaly_groups[2].accepted.expires = 'soon'),
      'anomaly_groups[2].accepted.expires is not a day (YYYY-MM-DD)',
    ],
    ['a resolved group of no kind', (d: Doc) => delete d.resolved_groups[0].kind, 'resolved_groups[0].kind is missing'],
    [
      'a previous week end that is not ISO',
      (d: Doc) => (d.group_history.previous_week_end = 'last week'),
      'group_history.previous_week_end is not an ISO time',
    ],
    [
      'trend AI figures as text',
      (d: Doc) => (d.trend[0].ai_activity = { total: 'x', autonomous: 1 }),
      'trend[0].ai_activity.total is not a whole number',
    ],
  ])('refuses %s in a triaged week, naming it', (_name, edit, problem) => {
    expect(problemOf(() => checkSummary(archived(edit, triagedSummary())))).toBe(problem);
  });

  it('reads a summary made before groups and trend AI figures, leaving them absent', () => {
    const read = checkSummary(JSON.parse(JSON.stringify(makeSummary())));
    expect(read.anomaly_groups).toBeUndefined();
    expect(read.resolved_groups).toBeUndefined();
    expect(read.group_history).toBeUndefined();
  });

  it('refuses a document that is not an object', () => {
    expect(problemOf(() => checkSummary([]))).toBe('not an object');
    expect(problemOf(() => checkSummary(null))).toBe('not an object');
  });

  it('reads a summary of an earlier schema 1 version: no new_client count is null (not evaluated), no tool sections stay absent', () => {
    // Prepare: what the archive held before tools, clients and new_client existed.
    const doc = archived((d) => {
      delete d.anomaly_counts.new_client;
      delete d.tools;
      delete d.clients;
      delete d.tool_usage;
    }, makeSummary());

    // Act
    const summary = checkSummary(doc);

    // Assess
    expect(summary.anomaly_counts.new_client).toBeNull();
    expect(summary.tools).toBeUndefined();
    expect('tool_usage' in summary).toBe(false);
  });

  it('drops keys it does not know, at every level', () => {
    const doc = archived((d) => {
      d.injected = '<script>';
      d.anomalies[0].extra = 'raw';
    });
    const summary = checkSummary(doc) as unknown as Doc;
    expect(summary.injected).toBeUndefined();
    expect(summary.anomalies[0].extra).toBeUndefined();
  });

  it('reads the figures the trend draws, checking only those', () => {
    // Prepare: damage a part the trend does not read.
    const summary = makeBusySummary(9);
    const doc = archived((d) => (d.changes = 'gone'), summary);

    // Act
    const figures = checkSummaryFigures(doc);

    // Assess: the figures of the point (its groups are the point's alone)
    const { groups: _groups, ...pointFigures } = pointOfSummary(summary);
    expect(figures).toEqual(pointFigures);
    expect(problemOf(() => checkSummaryFigures(archived((d) => (d.anomalies = { high: 1 }))))).toBe(
      'anomalies is not a list',
    );
    expect(problemOf(() => checkSummaryFigures(archived((d) => (d.anomalies[0] = 'x'))))).toBe(
      'anomalies[0] is not an object',
    );
    expect(problemOf(() => checkSummaryFigures(archived((d) => (d.total_tool_calls = Number.NaN))))).toBe(
      'total_tool_calls is not a whole number',
    );
  });

  it('refuses bytes that are not UTF-8 or not JSON', () => {
    expect(problemOf(() => parseJson(Buffer.from([0xff, 0x7b])))).toBe('not UTF-8 text');
    expect(problemOf(() => parseJson(Buffer.from('{"schema": 1,')))).toBe('not JSON');
  });
});

describe('point.json (trend point schemas 1 and 2)', () => {
  const summary = { ...triagedSummary(), ai_activity: undefined };
  const point = pointOfSummary(summary);

  it('round-trips schema 2, with its kind, its AI figures (null: not read) and its groups', () => {
    const doc = JSON.parse(encodePoint(point));
    expect(doc).toMatchObject({ kind: 'ai-activity-audit.trend-point', schema: 2, ai_activity: null });
    expect(checkPoint(doc)).toEqual(point);
    expect(point.anomalies).toEqual({ high: 3, medium: 0, low: 0 });
    expect(point.groups?.total).toBe(3);
    expect(point.groups?.items.map((g) => [g.kind, g.person, g.weeks])).toEqual([
      ['destructive_action', 'user0@example.com', 3],
      ['destructive_action', 'cy@example.com', 1],
      ['destructive_action', 'bo@example.com', 1],
    ]);
    expect(encodePoint(point).length).toBeLessThan(700);
  });

  it('records at most 500 groups, each person cut to 64 characters, and how many there were', () => {
    // Prepare
    const flags = Array.from({ length: 600 }, (_, i) => makeFlag({ user: `${i}-${'p'.repeat(200)}` }, i));
    const many = makeSummary({ anomalies: flags, anomaly_groups: flags.map((f) => makeGroup(f)) });

    // Act
    const text = encodePoint(pointOfSummary(many));
    const read = checkPoint(JSON.parse(text));

    // Assess
    expect(read.groups?.total).toBe(600);
    expect(read.groups?.items).toHaveLength(500);
    expect(Math.max(...(read.groups?.items ?? []).map((g) => [...g.person].length))).toBe(64);
    expect(Buffer.byteLength(text)).toBeLessThan(256_000);
  });

  it('reads a schema 1 point: no AI figures (a gap), no groups recorded', () => {
    const doc = {
      kind: 'ai-activity-audit.trend-point',
      schema: 1,
      window: point.window,
      timezone: 'UTC',
      calls: 2000,
      people: 67,
      anomalies: { high: 1, medium: 0, low: 0 },
      complete: true,
    };
    const read = checkPoint(doc);
    expect(read.ai_activity).toBeNull();
    expect(read.groups).toBeUndefined();
    expect(read.calls).toBe(2000);
  });

  it.each([
    ['calls as text', (d: Doc) => (d.calls = 'lots'), 'calls is not a whole number'],
    ['people negative', (d: Doc) => (d.people = -3), 'people is not a whole number'],
    ['anomalies a list', (d: Doc) => (d.anomalies = []), 'anomalies is not an object'],
    ['a severity missing', (d: Doc) => delete d.anomalies.low, 'anomalies.low is missing'],
    ['complete null', (d: Doc) => (d.complete = null), 'complete is not true or false'],
    ['a window end that is not ISO', (d: Doc) => (d.window.to = 1), 'window.to is not an ISO time'],
    ['another kind', (d: Doc) => (d.kind = 'something'), 'not a trend point'],
    ['a later schema', (d: Doc) => (d.schema = 3), 'schema is 3 (this version reads 1, 2)'],
    ['AI figures as text', (d: Doc) => (d.ai_activity = 'many'), 'ai_activity is not an object'],
    ['no groups', (d: Doc) => delete d.groups, 'groups is missing'],
    ['a group id that is not one', (d: Doc) => (d.groups.items[0].id = 'x'), 'groups.items[0].id is not a group id'],
    [
      'a group of no weeks',
      (d: Doc) => (d.groups.items[1].weeks = 0),
      'groups.items[1].weeks is not a number of weeks',
    ],
    [
      'a group of another kind',
      (d: Doc) => (d.groups.items[0].kind = 'odd'),
      `groups.items[0].kind is not one of ${'destructive_action, support_user, first_time_user, high_volume, out_of_scope, new_country, new_client, autonomous_change'}`,
    ],
    ['fewer groups than it lists', (d: Doc) => (d.groups.total = 1), 'groups.total is less than the groups it lists'],
  ])('refuses %s, naming it', (_name, edit, problem) => {
    const doc = JSON.parse(encodePoint(point));
    edit(doc);
    expect(problemOf(() => checkPoint(doc))).toBe(problem);
  });
});

describe('slack.json (chat.postMessage arguments of the post and its thread)', () => {
  const report = JSON.parse(JSON.stringify(renderReport(makeBusySummary(), { slackChannel: 'C0123456789' }).slack));
  const message = report.post;

  it('passes the post and thread the renderer makes, unchanged; reads a post archived before threads as one without', () => {
    expect(JSON.stringify(checkSlackReport(report))).toBe(JSON.stringify(report));
    expect(report.thread).toHaveLength(1);
    expect(checkSlackReport(message)).toEqual({ post: message, thread: [] });
    expect(problemOf(() => checkSlackReport({ post: message, thread: 'x' }))).toBe('thread is not a list');
    expect(problemOf(() => checkSlackReport({ post: message, thread: [{ ...message, blocks: 1 }] }))).toBe(
      'thread[0].blocks is not a list',
    );
    expect(problemOf(() => checkSlackReport({ thread: [] }))).toBe('post is missing');
  });

  it('passes what the renderer makes, unchanged, and message metadata', () => {
    expect(JSON.stringify(checkSlackMessage(message))).toBe(JSON.stringify(message));
    const withMetadata = { ...message, metadata: { event_type: 'ai_activity_report', event_payload: { report: 'x' } } };
    expect(checkSlackMessage(withMetadata)).toEqual(withMetadata);
  });

  it.each([
    ['blocks as text', (d: Doc) => (d.blocks = 'none'), 'blocks is not a list'],
    ['a block without a type', (d: Doc) => (d.blocks[1] = { text: 'x' }), 'blocks[1].type is not text'],
    ['a block that is text', (d: Doc) => (d.blocks[0] = 'header'), 'blocks[0] is not an object'],
    ['a numeric channel', (d: Doc) => (d.channel = 7), 'channel is not text'],
    ['no fallback text', (d: Doc) => delete d.text, 'text is missing'],
    ['unfurling on', (d: Doc) => (d.unfurl_links = true), 'unfurl_links is not one of false'],
    [
      'metadata without a payload object',
      (d: Doc) => (d.metadata = { event_type: 'x', event_payload: 'y' }),
      'metadata.event_payload is not an object',
    ],
  ])('refuses %s, naming it', (_name, edit, problem) => {
    const doc = JSON.parse(JSON.stringify(message));
    edit(doc);
    expect(problemOf(() => checkSlackMessage(doc))).toBe(problem);
  });

  it('refuses more blocks than Slack takes, and a fallback text past its limit', () => {
    const blocks = Array.from({ length: SLACK_MAX_BLOCKS + 1 }, () => ({ type: 'divider' }));
    expect(problemOf(() => checkSlackMessage({ ...message, blocks }))).toBe('blocks has more than 50 items');
    expect(problemOf(() => checkSlackMessage({ ...message, text: 'x'.repeat(40_001) }))).toBe(
      'text is longer than 40,000 characters',
    );
  });
});

describe('email.html and email.txt', () => {
  const rendered = renderReport(makeBusySummary(), { slackChannel: 'C0123456789' });

  it('passes the rendered email as it is', () => {
    expect(checkEmailHtml(Buffer.from(rendered.html))).toBe(rendered.html);
    expect(checkEmailText(Buffer.from(rendered.text))).toBe(rendered.text);
  });

  it.each([
    ['HTML that is not UTF-8', () => checkEmailHtml(Buffer.from([0x3c, 0xff, 0x3e])), 'not UTF-8 text'],
    ['HTML that is not a document', () => checkEmailHtml(Buffer.from('{"html": true}')), 'not an HTML document'],
    ['HTML cut short', () => checkEmailHtml(Buffer.from(rendered.html.slice(0, 5000))), 'not an HTML document'],
    ['text that is not UTF-8', () => checkEmailText(Buffer.from([0xc3, 0x28])), 'not UTF-8 text'],
    ['empty text', () => checkEmailText(Buffer.from(' \n')), 'empty'],
  ])('refuses %s', (_name, fn, problem) => {
    expect(problemOf(fn)).toBe(problem);
  });
});
