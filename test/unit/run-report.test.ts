/**
 * runReport: the orchestration alone, with every port faked in memory (no network): fetch →
 * summarize → render → deliver, the report window, no report when nothing of the window could be
 * read, independent channels, idempotency through the ledger (waiting for a claim in progress,
 * taking over a lapsed one), and one DeliveryError naming the failed channels after the others
 * were delivered and recorded. A fake clock makes every wait instant.
 */

import type { DataGap } from '../../functions/weekly-report/core/gaps';
import { normalizeEvent } from '../../functions/weekly-report/core/normalize';
import type { TimeRange } from '../../functions/weekly-report/core/time';
import { DEFAULT_THRESHOLDS, type McpUsageData, type Mergeable } from '../../functions/weekly-report/core/types';
import {
  DeliveryError,
  EmailDeliveryError,
  ReportUnavailableError,
  SlackDeliveryError,
} from '../../functions/weekly-report/errors';
import type {
  AuditEventSource,
  CallOptions,
  ClaimOptions,
  ClaimResult,
  DeliveryLedger,
  EmailMessage,
  EmailSender,
  FetchOptions,
  Logger,
  LostAnswer,
  McpUsageRanges,
  McpUsageSource,
  SlackLookup,
  SlackMessage,
  SlackPostOptions,
  SlackPostTag,
  SlackSender,
} from '../../functions/weekly-report/ports';
import { CHANNEL_SEND_MS, LEASE_MARGIN_MS, LOOKUP_MARGIN_MS } from '../../functions/weekly-report/run/delivery';
import { type GroupDeps, type PlannedReport, runReport } from '../../functions/weekly-report/run/report-group';
import { testReport } from '../support/report-definition';

type ReportDeps = GroupDeps & PlannedReport;

import { generateScenario, outerTime, type RawAuditEvent } from '../support/generator';

/** The schedule fires Monday 09:00 UTC; the report is the calendar week before that Monday. */
const END = new Date('2026-11-23T09:00:00.000Z');
const WEEK_END = new Date('2026-11-23T00:00:00.000Z');
const SCENARIO = generateScenario({ seed: 7, end: WEEK_END, weekEvents: 300, people: 12 });
const EVENTS: readonly RawAuditEvent[] = [...SCENARIO.baseline, ...SCENARIO.window];

type Step = string;

class FakeSource implements AuditEventSource {
  readonly ranges: Array<{ from: string; to: string; deadline?: number }> = [];
  /** Share of each range (from its start) that "could not be read": 0 reads all, 1 reads nothing. */
  lostShare = 0;
  constructor(private readonly steps: Step[]) {}
  async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, options?: FetchOptions): Promise<T> {
    this.steps.push('collect');
    this.ranges.push({
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      ...(options?.deadline !== undefined ? { deadline: options.deadline } : {}),
    });
    const partial = create();
    const from = range.from;
    const to = range.to;
    const readFrom = from + Math.round((to - from) * this.lostShare);
    if (readFrom > from) {
      const gap: DataGap = {
        cause: 'Datadog unavailable (HTTP 503); gave up after 6 attempts',
        kind: 'lost',
        from,
        to: readFrom,
      };
      partial.markIncomplete(gap);
    }
    for (const event of EVENTS) {
      const t = outerTime(event);
      if (t >= readFrom && t < to) partial.addRecord(normalizeEvent(event));
    }
    return partial;
  }
}

/** A clock the fake sleep moves forward, so waits cost no real time. */
class FakeClock {
  time = Date.parse('2026-11-23T09:00:05Z');
  readonly sleeps: number[] = [];
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.time += ms;
    this.onSleep?.();
  };
  onSleep: (() => void) | undefined;
}

type LedgerItem = {
  status: 'IN_PROGRESS' | 'DELIVERED' | 'UNKNOWN';
  leaseUntil?: number;
  claimedAt?: number;
  detail?: Record<string, string>;
  /** UNKNOWN, or IN_PROGRESS taken over an unknown outcome: the earlier send's outcome. */
  lost?: LostAnswer;
};

/** The ledger's state machine in memory, as adapters/delivery-ledger.ts keeps it in DynamoDB. */
class FakeLedger implements DeliveryLedger {
  readonly items = new Map<string, LedgerItem>();
  readonly leases: number[] = [];
  failClaims = false;
  failRecords = false;
  constructor(
    private readonly steps: Step[],
    private readonly clock: FakeClock,
  ) {}
  async claim(key: string, leaseUntil: number, options?: ClaimOptions): Promise<ClaimResult> {
    if (this.failClaims) throw new Error('ledger unreachable');
    const item = this.items.get(key);
    if (item?.status === 'DELIVERED') return { status: 'delivered', ...(item.detail ? { detail: item.detail } : {}) };
    if (item?.status === 'IN_PROGRESS' && (item.leaseUntil ?? Number.POSITIVE_INFINITY) >= this.clock.now()) {
      return { status: 'in_progress' };
    }
    const lost: LostAnswer | undefined = item
      ? (item.lost ?? { since: item.claimedAt ?? 0, detail: { error: 'its sender stopped (claim lapsed)' } })
      : undefined;
    if (lost && !options?.takeUnknown) return { status: 'unknown', lost };
    this.items.set(key, { status: 'IN_PROGRESS', leaseUntil, claimedAt: this.clock.now(), ...(lost ? { lost } : {}) });
    this.leases.push(leaseUntil);
    this.steps.push(`claim ${key}`);
    return lost ? { status: 'claimed', lost } : { status: 'claimed' };
  }
  async recordDelivered(key: string, detail: Readonly<Record<string, string>>): Promise<void> {
    if (this.failRecords) throw new Error('ledger write failed');
    this.items.set(key, { status: 'DELIVERED', detail: { ...detail } });
    this.steps.push(`record ${key}`);
  }
  async recordUnknown(key: string, detail: Readonly<Record<string, string>>): Promise<void> {
    if (this.failRecords) throw new Error('ledger write failed');
    const item = this.items.get(key);
    const since = item?.lost?.since ?? item?.claimedAt ?? this.clock.now();
    this.items.set(key, { status: 'UNKNOWN', lost: { since, detail: { ...detail } } });
    this.steps.push(`unknown ${key}`);
  }
  async release(key: string): Promise<void> {
    const item = this.items.get(key);
    if (item?.lost) this.items.set(key, { status: 'UNKNOWN', lost: item.lost });
    else this.items.delete(key);
    this.steps.push(`release ${key}`);
  }
}

class FakeEmail implements EmailSender {
  readonly recipients = ['ana@example.com', 'bo@example.com'];
  readonly sent: EmailMessage[] = [];
  readonly deadlines: Array<number | undefined> = [];
  failWith: Error | undefined;
  /** The next send "reaches SES" (counted in `sent`) and then fails with this error. */
  loseAnswerWith: Error | undefined;
  constructor(private readonly steps: Step[]) {}
  async send(message: EmailMessage, options?: CallOptions) {
    this.steps.push('send email');
    this.deadlines.push(options?.deadline);
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    const lost = this.loseAnswerWith;
    this.loseAnswerWith = undefined;
    if (lost) throw lost;
    return { messageIds: [`m-${this.sent.length}`] };
  }
}

class FakeSlack implements SlackSender {
  /** Channel posts and thread replies (with `threadTs`), in order. */
  readonly posted: Array<SlackMessage & { ts: string; tag?: SlackPostTag; threadTs?: string }> = [];
  readonly deadlines: Array<number | undefined> = [];
  readonly lookups: Array<{ channel: string; tag: SlackPostTag; oldest: number }> = [];
  failWith: Error | undefined;
  /** The next post is made (counted in `posted`) and then fails with this error. */
  loseAnswerWith: Error | undefined;
  failLookupWith: Error | undefined;
  constructor(private readonly steps: Step[]) {}
  async post(message: SlackMessage, options?: SlackPostOptions) {
    this.steps.push(options?.threadTs ? 'reply slack' : 'post slack');
    this.deadlines.push(options?.deadline);
    if (this.failWith) throw this.failWith;
    const ts = `1700000000.00000${this.posted.length + 1}`;
    this.posted.push({
      ...message,
      ts,
      ...(options?.tag ? { tag: options.tag } : {}),
      ...(options?.threadTs ? { threadTs: options.threadTs } : {}),
    });
    const lost = this.loseAnswerWith;
    this.loseAnswerWith = undefined;
    if (lost) throw lost;
    return { ts };
  }
  async find(channel: string, tag: SlackPostTag, oldest: number): Promise<SlackLookup> {
    this.steps.push('find slack');
    this.lookups.push({ channel, tag, oldest });
    if (this.failLookupWith) throw this.failLookupWith;
    const post = this.posted.find(
      (p) => p.channel === channel && !p.threadTs && p.tag?.report === tag.report && p.tag.windowTo === tag.windowTo,
    );
    return { ...(post ? { ts: post.ts } : {}), pages: 1, messages: this.posted.length };
  }
  async findReply(channel: string, threadTs: string, tag: SlackPostTag, oldest: number): Promise<SlackLookup> {
    this.steps.push('find reply');
    this.lookups.push({ channel, tag, oldest });
    if (this.failLookupWith) throw this.failLookupWith;
    const reply = this.posted.find(
      (p) => p.channel === channel && p.threadTs === threadTs && p.tag?.report === tag.report,
    );
    return { ...(reply ? { ts: reply.ts } : {}), pages: 1, messages: this.posted.length };
  }
  /** The channel posts alone. */
  get posts() {
    return this.posted.filter((p) => !p.threadTs);
  }
}

/** A usage source that records the ranges it was asked for and answers `answer` (or throws it). */
class FakeUsage implements McpUsageSource {
  readonly asked: Array<{ ranges: McpUsageRanges; deadline?: number }> = [];
  constructor(
    private readonly steps: Step[],
    private readonly answer: McpUsageData | Error,
  ) {}
  async usage(ranges: McpUsageRanges, options?: FetchOptions): Promise<McpUsageData> {
    this.steps.push('usage');
    this.asked.push({ ranges, ...(options?.deadline !== undefined ? { deadline: options.deadline } : {}) });
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

class FakeLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  info(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, ...(extra ? { extra } : {}) });
  }
  warn(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, ...(extra ? { extra } : {}) });
  }
  error(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, ...(extra ? { extra } : {}) });
  }
  outcomes() {
    return this.lines
      .filter((l) => l.message === 'channel_outcome')
      .map((l) => `${String(l.extra?.channel)}:${String(l.extra?.outcome)}`)
      .sort();
  }
}

function setup() {
  const steps: Step[] = [];
  const clock = new FakeClock();
  const source = new FakeSource(steps);
  const ledger = new FakeLedger(steps, clock);
  const email = new FakeEmail(steps);
  const slack = new FakeSlack(steps);
  const logger = new FakeLogger();
  const deps: ReportDeps = {
    source,
    ledger,
    email,
    slack: { sender: slack, channel: 'C0123456789' },
    report: testReport({ org: 'Acme', thresholds: DEFAULT_THRESHOLDS }),
    logger,
    now: clock.now,
    sleep: clock.sleep,
  };
  return { steps, clock, source, ledger, email, slack, logger, deps };
}

const EMAIL_KEY = 'Acme:2026-11-23T00:00:00.000Z:email';
const SLACK_KEY = 'Acme:2026-11-23T00:00:00.000Z:slack';
const THREAD_KEY = 'Acme:2026-11-23T00:00:00.000Z:slack_thread';

describe('runReport', () => {
  it('fetches, summarizes and renders before sending, then sends each channel once and records it', async () => {
    // Prepare
    const { steps, ledger, email, slack, logger, deps } = setup();

    // Act
    const result = await runReport(deps, { end: END.getTime() });

    // Assess
    const firstSend = Math.min(steps.indexOf('send email'), steps.indexOf('post slack'));
    expect(steps.slice(0, firstSend).filter((s) => s === 'collect').length).toBeGreaterThanOrEqual(1);
    expect(steps.lastIndexOf('collect')).toBeLessThan(firstSend);
    expect(logger.lines.map((l) => l.message).slice(0, 3)).toEqual(['fetch_done', 'summarize_done', 'render_done']);
    expect(email.sent).toHaveLength(1);
    expect(email.sent[0]?.subject).toContain('Acme');
    expect(email.sent[0]?.html).toContain('<');
    expect(email.sent[0]?.text.length).toBeGreaterThan(0);
    // The channel post, then its thread reply under the post's ts.
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]?.channel).toBe('C0123456789');
    expect(slack.posted.map((p) => p.threadTs)).toEqual([undefined, slack.posts[0]?.ts]);
    expect(steps.indexOf('post slack')).toBeLessThan(steps.indexOf('reply slack'));
    expect([...ledger.items.entries()].map(([k, v]) => [k, v.status]).sort()).toEqual([
      [EMAIL_KEY, 'DELIVERED'],
      [SLACK_KEY, 'DELIVERED'],
      [THREAD_KEY, 'DELIVERED'],
    ]);
    expect(ledger.items.get(EMAIL_KEY)?.detail).toEqual({ messageIds: 'm-1' });
    expect(ledger.items.get(THREAD_KEY)?.detail).toEqual({
      ts: slack.posted[1]?.ts,
      thread_ts: slack.posts[0]?.ts,
      replies: '1',
    });
    expect(result.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'delivered'],
      ['slack', 'delivered'],
      ['slack_thread', 'delivered'],
    ]);
    expect(logger.outcomes()).toEqual(['email:delivered', 'slack:delivered', 'slack_thread:delivered']);
    expect(result.summary.window).toEqual({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
  });

  it('reports the calendar week before the day it fires; the reads stop a delivery reserve before the senders’ deadline', async () => {
    // Prepare
    const { source, slack, email, clock, deps } = setup();
    const deadline = clock.now() + 30_000;
    // The reads keep 40 % of 30 s (less than the 45 s reserve) free for delivery.
    const readDeadline = clock.now() + 18_000;

    // Act
    await runReport(deps, { end: END.getTime(), deadline });

    // Assess
    expect(source.ranges).toContainEqual({
      from: '2026-11-16T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
      deadline: readDeadline,
    });
    expect(source.ranges).toContainEqual({
      from: '2026-10-19T00:00:00.000Z',
      to: '2026-11-16T00:00:00.000Z',
      deadline: readDeadline,
    });
    expect(slack.deadlines).toEqual([deadline, deadline]);
    expect(email.deadlines).toEqual([deadline]);
  });

  it('reads the MCP usage metric over the audit’s own ranges, on its own share of the read time, before sending', async () => {
    // Prepare
    const { steps, clock, deps } = setup();
    const usage = new FakeUsage(steps, {
      window: {
        status: 'ok',
        usage: {
          tools: [{ tool: 'search_logs', calls: 7 }],
          clients: [{ client: 'claude', calls: 7 }],
          callerTools: [],
          callerClients: [{ userId: 'u-1', email: 'ana@example.com', client: 'claude', calls: 7 }],
        },
      },
    });
    const deadline = clock.now() + 30_000;

    // Act
    const result = await runReport({ ...deps, usage }, { end: END.getTime(), deadline });

    // Assess
    const iso = (r?: TimeRange) => r && [new Date(r.from).toISOString(), new Date(r.to).toISOString()];
    expect(usage.asked).toHaveLength(1);
    const asked = usage.asked[0]!;
    expect(iso(asked.ranges.window)).toEqual(['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z']);
    expect(iso(asked.ranges.previous)).toEqual(['2026-11-09T00:00:00.000Z', '2026-11-16T00:00:00.000Z']);
    expect(iso(asked.ranges.baseline)).toEqual(['2026-10-19T00:00:00.000Z', '2026-11-16T00:00:00.000Z']);
    // Half of the 18 s the reads have.
    expect(asked.deadline).toBe(clock.now() + 9_000);
    expect(steps.indexOf('usage')).toBeLessThan(steps.indexOf('send email'));
    expect(result.summary.tools).toEqual([{ tool: 'search_logs', calls: 7, previous_calls: null, change: null }]);
    expect(result.report.text).toContain('  search_logs: 7 (100%)');
    expect(JSON.stringify(result.report.slack.thread[0]?.blocks)).toContain('search_logs — 7');
  });

  it('sends the audit report, complete, when the usage metric is unavailable or its source breaks', async () => {
    // Prepare
    const unavailable = setup();
    const broken = setup();
    const reason = 'Datadog refused the metric query (HTTP 403): the application key needs the timeseries_query scope';

    // Act
    const a = await runReport(
      { ...unavailable.deps, usage: new FakeUsage([], { window: { status: 'unavailable', reason } }) },
      { end: END.getTime() },
    );
    const b = await runReport({ ...broken.deps, usage: new FakeUsage([], new Error('boom')) }, { end: END.getTime() });

    // Assess
    for (const [run, setupOf] of [
      [a, unavailable],
      [b, broken],
    ] as const) {
      expect(run.summary.complete).toBe(true);
      expect(run.summary.tools).toBeNull();
      expect(run.summary.anomaly_counts.new_client).toBeNull();
      expect(run.channels.map((c) => c.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(setupOf.email.sent).toHaveLength(1);
    }
    expect(a.summary.tool_usage?.reason).toBe(reason);
    expect(b.summary.tool_usage?.reason).toMatch(/boom/);
  });

  it('reports a rolling window ending at the scheduled time when configured so', async () => {
    // Prepare
    const { source, deps } = setup();

    // Act
    const result = await runReport(
      { ...deps, report: { ...deps.report, windowMode: 'rolling' } },
      { end: END.getTime() },
    );

    // Assess
    expect(result.summary.window).toEqual({ from: '2026-11-16T09:00:00.000Z', to: '2026-11-23T09:00:00.000Z' });
    expect(source.ranges[0]).toMatchObject({ from: '2026-11-16T09:00:00.000Z', to: '2026-11-23T09:00:00.000Z' });
  });

  it('bounds each send by its own budget within a long deadline, and leases the claim for that budget only', async () => {
    // Prepare
    const { slack, ledger, clock, deps } = setup();
    const deadline = clock.now() + 280_000;

    // Act
    await runReport(deps, { end: END.getTime(), deadline });

    // Assess: 60 s to send and 15 s of margin, so a crash after claiming blocks a retry for at most 75 s.
    expect(slack.deadlines).toEqual([clock.now() + CHANNEL_SEND_MS, clock.now() + CHANNEL_SEND_MS]);
    expect(ledger.leases).toEqual([
      clock.now() + CHANNEL_SEND_MS + LEASE_MARGIN_MS,
      clock.now() + CHANNEL_SEND_MS + LEASE_MARGIN_MS,
      clock.now() + CHANNEL_SEND_MS + LEASE_MARGIN_MS,
    ]);
  });

  it('sends nothing and fails with ReportUnavailableError when not one page of the window could be read', async () => {
    // Prepare
    const { source, email, slack, ledger, deps } = setup();
    source.lostShare = 1;

    // Act
    const error = await runReport(deps, { end: END.getTime() }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ReportUnavailableError);
    expect((error as Error).message).toMatch(/^No report for 2026-11-16T00:00:00.000Z to 2026-11-23T00:00:00.000Z/);
    expect((error as ReportUnavailableError).causes).toEqual([
      'Datadog unavailable (HTTP 503); gave up after 6 attempts: events missing from 2026-11-16 00:00 to 2026-11-23 00:00 (168 h, UTC)',
    ]);
    expect(email.sent).toHaveLength(0);
    expect(slack.posted).toHaveLength(0);
    expect(ledger.items.size).toBe(0);
  });

  it('sends a partly read week marked partial, with the cause and the time it lost', async () => {
    // Prepare
    const { source, email, deps } = setup();
    source.lostShare = 0.5;

    // Act
    const result = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(result.summary.complete).toBe(false);
    expect(result.summary.warnings[0]).toBe(
      'Datadog unavailable (HTTP 503); gave up after 6 attempts: events missing from 2026-11-16 00:00 to 2026-11-19 12:00 (84 h, UTC)',
    );
    expect(result.summary.data_gaps.window).toEqual([
      {
        cause: 'Datadog unavailable (HTTP 503); gave up after 6 attempts',
        kind: 'lost',
        ranges: [{ from: '2026-11-16T00:00:00.000Z', to: '2026-11-19T12:00:00.000Z' }],
      },
    ]);
    expect(email.sent).toHaveLength(1);
  });

  it('says the baseline could not be read, rather than that it holds no events, when none of it was read', async () => {
    // Prepare: the window reads fine; the baseline range is the one that fails.
    const { source, deps } = setup();
    const collect = source.collect.bind(source);
    source.collect = async (range, create, options) => {
      source.lostShare = range.to - range.from > 8 * 86_400_000 ? 1 : 0;
      return collect(range, create, options);
    };

    // Act
    const result = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(result.summary.warnings.join('\n')).toMatch(/^Baseline could not be read: Datadog unavailable/m);
    expect(result.summary.warnings.join('\n')).not.toMatch(/holds no MCP events|retention/);
    expect(result.summary.anomaly_counts.first_time_user).toBeNull();
  });

  it('skips every channel already recorded as delivered and sends nothing', async () => {
    // Prepare
    const { email, slack, logger, deps } = setup();
    await runReport(deps, { end: END.getTime() });
    logger.lines.length = 0;

    // Act
    const again = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(slack.posted).toHaveLength(2);
    expect(again.channels.map((c) => c.outcome)).toEqual([
      'skipped_already_delivered',
      'skipped_already_delivered',
      'skipped_already_delivered',
    ]);
    expect(logger.outcomes()).toEqual([
      'email:skipped_already_delivered',
      'slack:skipped_already_delivered',
      'slack_thread:skipped_already_delivered',
    ]);
  });

  it('delivers and records the email when Slack fails, then throws a DeliveryError naming slack', async () => {
    // Prepare
    const { ledger, email, slack, logger, deps } = setup();
    slack.failWith = new Error('channel_not_found');

    // Act
    const run = runReport(deps, { end: END.getTime() });

    // Assess
    await expect(run).rejects.toThrow(DeliveryError);
    await run.catch((error: DeliveryError) => {
      expect(error.failedChannels).toEqual(['slack']);
      expect(error.message).toContain('channel_not_found');
      expect(error.causes).toEqual([slack.failWith]);
    });
    expect(email.sent).toHaveLength(1);
    expect(ledger.items.get(EMAIL_KEY)?.status).toBe('DELIVERED');
    expect(ledger.items.has(SLACK_KEY)).toBe(false);
    // The reply waits for its post: its ledger item is untouched, and it adds no cause of its own.
    expect(ledger.items.has(THREAD_KEY)).toBe(false);
    expect(logger.outcomes()).toEqual(['email:delivered', 'slack:failed', 'slack_thread:failed']);
  });

  it('retries only the failed channel on the next attempt', async () => {
    // Prepare
    const { email, slack, deps } = setup();
    slack.failWith = new Error('HTTP 500');
    await expect(runReport(deps, { end: END.getTime() })).rejects.toThrow(DeliveryError);
    slack.failWith = undefined;

    // Act
    const retry = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(slack.posts).toHaveLength(1);
    expect(slack.posted).toHaveLength(2);
    expect(retry.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'skipped_already_delivered'],
      ['slack', 'delivered'],
      ['slack_thread', 'delivered'],
    ]);
  });

  it('names both channels when both fail, and releases both claims', async () => {
    // Prepare
    const { steps, ledger, email, slack, deps } = setup();
    email.failWith = new Error('MessageRejected');
    slack.failWith = new Error('invalid_auth');

    // Act
    const error = await runReport(deps, { end: END.getTime() }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failedChannels).toEqual(['email', 'slack']);
    expect(ledger.items.size).toBe(0);
    expect(steps).toEqual(expect.arrayContaining([`release ${EMAIL_KEY}`, `release ${SLACK_KEY}`]));
  });

  it('waits for a channel another invocation is delivering and reports it skipped once that one delivered it', async () => {
    // Prepare: the other invocation records Slack as delivered 5 s into our wait.
    const { ledger, email, slack, clock, logger, deps } = setup();
    ledger.items.set(SLACK_KEY, { status: 'IN_PROGRESS', leaseUntil: clock.now() + 70_000 });
    const doneAt = clock.now() + 5_000;
    clock.onSleep = () => {
      if (clock.now() >= doneAt)
        ledger.items.set(SLACK_KEY, { status: 'DELIVERED', detail: { ts: '1700000000.000009' } });
    };

    // Act
    const result = await runReport(deps, { end: END.getTime(), deadline: clock.now() + 120_000 });

    // Assess
    expect(result.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'delivered'],
      ['slack', 'skipped_already_delivered'],
      ['slack_thread', 'delivered'],
    ]);
    // Only the reply, under the post the other invocation recorded.
    expect(slack.posts).toHaveLength(0);
    expect(slack.posted.map((p) => p.threadTs)).toEqual(['1700000000.000009']);
    expect(email.sent).toHaveLength(1);
    expect(logger.lines.some((l) => l.message === 'channel_in_progress_waiting')).toBe(true);
  });

  it('takes over a Slack claim whose holder died once its lease lapses, looks for its post, and posts (a retry after a crash)', async () => {
    // Prepare: a crashed run claimed Slack 20 s ago and left a 75 s lease; it may have posted.
    const { ledger, slack, clock, deps } = setup();
    const claimedAt = clock.now() - 20_000;
    ledger.items.set(SLACK_KEY, { status: 'IN_PROGRESS', claimedAt, leaseUntil: clock.now() + 55_000 });

    // Act
    const result = await runReport(deps, { end: END.getTime(), deadline: clock.now() + 280_000 });

    // Assess
    expect(result.channels.find((c) => c.channel === 'slack')?.outcome).toBe('delivered');
    expect(slack.lookups).toEqual([
      expect.objectContaining({ channel: 'C0123456789', oldest: claimedAt - LOOKUP_MARGIN_MS }),
    ]);
    expect(slack.posts).toHaveLength(1);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(55_000);
    expect(ledger.items.get(SLACK_KEY)?.status).toBe('DELIVERED');
  });

  it('does not resend an email whose sender died holding its claim: the lapsed claim is unknown', async () => {
    // Prepare
    const { ledger, email, slack, clock, deps } = setup();
    ledger.items.set(EMAIL_KEY, {
      status: 'IN_PROGRESS',
      claimedAt: clock.now() - 90_000,
      leaseUntil: clock.now() - 1,
    });

    // Act
    const error = await runReport(deps, { end: END.getTime() }).catch((e: unknown) => e);

    // Assess
    expect((error as DeliveryError).failedChannels).toEqual(['email']);
    expect((error as DeliveryError).run?.channels.map((c) => c.outcome)).toEqual(['unknown', 'delivered', 'delivered']);
    expect(email.sent).toHaveLength(0);
    expect(slack.posts).toHaveLength(1);
    expect(ledger.items.get(EMAIL_KEY)?.status).toBe('IN_PROGRESS');
  });

  it('does not send a channel another invocation still holds at its deadline, and fails so the retry sees the outcome', async () => {
    // Prepare
    const { ledger, email, slack, clock, deps } = setup();
    ledger.items.set(SLACK_KEY, { status: 'IN_PROGRESS', leaseUntil: clock.now() + 10 * 60_000 });

    // Act
    const error = await runReport(deps, { end: END.getTime(), deadline: clock.now() + 30_000 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect((error as DeliveryError).failedChannels).toEqual(['slack']);
    expect((error as DeliveryError).message).toMatch(/another invocation is delivering/);
    expect(slack.posted).toHaveLength(0);
    expect(email.sent).toHaveLength(1);
    expect(ledger.items.get(SLACK_KEY)?.status).toBe('IN_PROGRESS');
    expect(clock.now()).toBeLessThanOrEqual(Date.parse('2026-11-23T09:00:05Z') + 30_000);
  });

  it('sends nothing when the ledger cannot be read', async () => {
    // Prepare
    const { ledger, email, slack, deps } = setup();
    ledger.failClaims = true;

    // Act
    const error = await runReport(deps, { end: END.getTime() }).catch((e: unknown) => e);

    // Assess
    expect((error as DeliveryError).failedChannels).toEqual(['email', 'slack']);
    expect(email.sent).toHaveLength(0);
    expect(slack.posted).toHaveLength(0);
  });

  it('counts a sent channel as delivered when only recording it fails, and logs the ledger error', async () => {
    // Prepare
    const { ledger, email, logger, deps } = setup();
    ledger.failRecords = true;

    // Act
    const result = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(result.channels.map((c) => c.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(result.channels.map((c) => c.recordFailed)).toEqual([true, true, true]);
    expect(logger.lines.filter((l) => l.message === 'ledger_record_failed')).toHaveLength(3);
  });

  it('delivers only the configured channels', async () => {
    // Prepare
    const { email, slack, deps } = setup();
    const { slack: _omitted, ...emailOnly } = deps;

    // Act
    const result = await runReport(emailOnly, { end: END.getTime() });

    // Assess
    expect(result.channels.map((c) => c.channel)).toEqual(['email']);
    expect(email.sent).toHaveLength(1);
    expect(slack.posted).toHaveLength(0);
  });

  it('logs counts and timings, never raw event payloads', async () => {
    // Prepare
    const { logger, deps } = setup();

    // Act
    await runReport(deps, { end: END.getTime() });

    // Assess
    const fetchLine = logger.lines.find((l) => l.message === 'fetch_done');
    expect(fetchLine?.extra).toEqual(
      expect.objectContaining({ windowEvents: expect.any(Number), durationMs: expect.any(Number) }),
    );
    const logged = JSON.stringify(logger.lines);
    const someEventId = String(SCENARIO.window[0]?.id);
    expect(logged).not.toContain(someEventId);
    expect(logged).not.toContain('"attributes"');
  });
});

/** The DeliveryError a run fails with (a run that succeeds fails the test). */
async function failureOf(run: Promise<unknown>): Promise<DeliveryError> {
  try {
    await run;
  } catch (error) {
    return error as DeliveryError;
  }
  throw new Error('the run succeeded');
}

describe('runReport when an answer is lost', () => {
  const lostPost = () =>
    new SlackDeliveryError('Slack did not answer chat.postMessage (other side closed)', { answerLost: true });
  const lostEmail = () => new EmailDeliveryError('SES did not answer SendEmail (socket hang up)', { answerLost: true });

  it('records a Slack post whose answer was lost as unknown, and the retry finds it instead of posting again', async () => {
    // Prepare
    const { ledger, slack, clock, logger, deps } = setup();
    slack.loseAnswerWith = lostPost();
    const claimedAt = clock.now();

    // Act
    const first = await failureOf(runReport(deps, { end: END.getTime() }));
    clock.time += 60_000;
    const retry = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(first.failedChannels).toEqual(['slack']);
    expect(first.run?.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'delivered'],
      ['slack', 'unknown'],
      ['slack_thread', 'failed'],
    ]);
    expect(slack.posts).toHaveLength(1);
    expect(slack.posted[0]?.tag).toEqual({
      report: 'Acme',
      windowFrom: '2026-11-16T00:00:00.000Z',
      windowTo: '2026-11-23T00:00:00.000Z',
    });
    expect(slack.lookups).toEqual([expect.objectContaining({ oldest: claimedAt - LOOKUP_MARGIN_MS })]);
    expect(retry.channels.map((c) => [c.channel, c.outcome, c.found ?? false])).toEqual([
      ['email', 'skipped_already_delivered', false],
      ['slack', 'delivered', true],
      ['slack_thread', 'delivered', false],
    ]);
    // The found post gets its reply: the post once, the reply once.
    expect(slack.posts).toHaveLength(1);
    expect(slack.posted.map((p) => p.threadTs)).toEqual([undefined, slack.posted[0]?.ts]);
    expect(ledger.items.get(SLACK_KEY)).toEqual({
      status: 'DELIVERED',
      detail: { ts: slack.posted[0]?.ts, found: 'true' },
    });
    expect(logger.lines.find((l) => l.message === 'slack_lookup')?.extra).toEqual(
      expect.objectContaining({ key: SLACK_KEY, found: slack.posted[0]?.ts }),
    );
  });

  it('posts on the retry when the lost post is not in the channel, after looking', async () => {
    // Prepare: the answer was lost and the post never happened.
    const { ledger, slack, steps, deps } = setup();
    ledger.items.set(SLACK_KEY, {
      status: 'UNKNOWN',
      lost: { since: Date.parse('2026-11-23T09:00:00Z'), detail: { error: 'timeout' } },
    });

    // Act
    const result = await runReport(deps, { end: END.getTime() });

    // Assess
    expect(steps.indexOf('find slack')).toBeLessThan(steps.indexOf('post slack'));
    expect(slack.posts).toHaveLength(1);
    expect(result.channels.find((c) => c.channel === 'slack')).toMatchObject({ outcome: 'delivered' });
    expect(result.channels.find((c) => c.channel === 'slack')?.found).toBeUndefined();
    expect(ledger.items.get(SLACK_KEY)?.status).toBe('DELIVERED');
  });

  it('keeps Slack unknown, posting nothing, when its history cannot be read; and when the new post fails for sure', async () => {
    // Prepare
    const since = Date.parse('2026-11-23T09:00:00Z');
    const unreadable = setup();
    const refused = setup();
    for (const { ledger } of [unreadable, refused]) {
      ledger.items.set(SLACK_KEY, { status: 'UNKNOWN', lost: { since, detail: { error: 'timeout' } } });
    }
    unreadable.slack.failLookupWith = new SlackDeliveryError('missing_scope');
    refused.slack.failWith = new SlackDeliveryError('channel_not_found');

    // Act
    const a = await failureOf(runReport(unreadable.deps, { end: END.getTime() }));
    const b = await failureOf(runReport(refused.deps, { end: END.getTime() }));

    // Assess
    expect(a.message).toMatch(/slack: could not look for the send whose answer was lost at 2026-11-23T09:00:00.000Z/);
    expect(a.run?.channels.find((c) => c.channel === 'slack')?.outcome).toBe('unknown');
    expect(unreadable.slack.posted).toHaveLength(0);
    expect(b.run?.channels.find((c) => c.channel === 'slack')?.outcome).toBe('failed');
    for (const { ledger } of [unreadable, refused]) {
      expect(ledger.items.get(SLACK_KEY)).toEqual({ status: 'UNKNOWN', lost: { since, detail: { error: 'timeout' } } });
    }
  });

  it('never resends an email whose answer was lost, failing each run naming it, until the invocation asks for it', async () => {
    // Prepare
    const { ledger, email, clock, deps } = setup();
    email.loseAnswerWith = lostEmail();
    const sentAt = new Date(clock.now()).toISOString();

    // Act
    const first = await failureOf(runReport(deps, { end: END.getTime() }));
    const retry = await failureOf(runReport(deps, { end: END.getTime() }));
    const resent = await runReport({ ...deps, resend: new Set(['email'] as const) }, { end: END.getTime() });
    const after = await runReport({ ...deps, resend: new Set(['email'] as const) }, { end: END.getTime() });

    // Assess
    expect(first.failedChannels).toEqual(['email']);
    expect(first.message).toMatch(/email: SES did not answer SendEmail/);
    expect(retry.failedChannels).toEqual(['email']);
    expect(retry.message).toContain(
      `email to ana@example.com, bo@example.com may have been sent at ${sentAt}; its answer was lost (SES did not answer SendEmail (socket hang up))`,
    );
    expect(retry.message).toContain('"resend": ["email"]');
    expect(resent.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'delivered'],
      ['slack', 'skipped_already_delivered'],
      ['slack_thread', 'skipped_already_delivered'],
    ]);
    // One send that may have gone out, one on purpose; a delivered channel is never resent.
    expect(email.sent).toHaveLength(2);
    expect(after.channels.map((c) => c.outcome)).toEqual([
      'skipped_already_delivered',
      'skipped_already_delivered',
      'skipped_already_delivered',
    ]);
    expect(ledger.items.get(EMAIL_KEY)?.status).toBe('DELIVERED');
  });
});
