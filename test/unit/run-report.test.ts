/**
 * runReport: the orchestration alone, with every port faked in memory (no network): fetch →
 * summarize → render → deliver, independent channels, idempotency through the ledger, and one
 * DeliveryError naming the failed channels after the others were delivered and recorded.
 */

import { DEFAULT_THRESHOLDS } from '../../functions/weekly-report/core/types';
import { DeliveryError } from '../../functions/weekly-report/errors';
import type {
  AuditEventSource,
  ClaimResult,
  DeliveryLedger,
  EmailMessage,
  EmailSender,
  FetchOptions,
  FetchRange,
  Mergeable,
  SlackMessage,
  SlackSender,
} from '../../functions/weekly-report/ports';
import { type ReportDeps, type ReportLogger, runReport } from '../../functions/weekly-report/run-report';
import { generateScenario, outerTime, type RawAuditEvent } from '../support/generator';

const END = new Date('2026-11-23T09:00:00.000Z');
const SCENARIO = generateScenario({ seed: 7, end: END, weekEvents: 300, people: 12 });
const EVENTS: readonly RawAuditEvent[] = [...SCENARIO.baseline, ...SCENARIO.window];

type Step = string;

class FakeSource implements AuditEventSource {
  readonly ranges: Array<{ from: string; to: string; deadline?: number }> = [];
  constructor(private readonly steps: Step[]) {}
  async collect<T extends Mergeable<T>>(range: FetchRange, create: () => T, options?: FetchOptions): Promise<T> {
    this.steps.push('collect');
    this.ranges.push({
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      ...(options?.deadline !== undefined ? { deadline: options.deadline } : {}),
    });
    const partial = create();
    for (const event of EVENTS) {
      const t = outerTime(event);
      if (t >= range.from.getTime() && t < range.to.getTime()) partial.add(event);
    }
    return partial;
  }
}

class FakeLedger implements DeliveryLedger {
  readonly items = new Map<string, { status: 'IN_PROGRESS' | 'DELIVERED'; detail?: Record<string, string> }>();
  failClaims = false;
  failRecords = false;
  constructor(private readonly steps: Step[]) {}
  async claim(key: string): Promise<ClaimResult> {
    if (this.failClaims) throw new Error('ledger unreachable');
    const item = this.items.get(key);
    if (item?.status === 'DELIVERED') return 'delivered';
    if (item?.status === 'IN_PROGRESS') return 'in_progress';
    this.items.set(key, { status: 'IN_PROGRESS' });
    this.steps.push(`claim ${key}`);
    return 'claimed';
  }
  async recordDelivered(key: string, detail: Readonly<Record<string, string>>): Promise<void> {
    if (this.failRecords) throw new Error('ledger write failed');
    this.items.set(key, { status: 'DELIVERED', detail: { ...detail } });
    this.steps.push(`record ${key}`);
  }
  async release(key: string): Promise<void> {
    this.items.delete(key);
    this.steps.push(`release ${key}`);
  }
}

class FakeEmail implements EmailSender {
  readonly sent: EmailMessage[] = [];
  failWith: Error | undefined;
  constructor(private readonly steps: Step[]) {}
  async send(message: EmailMessage) {
    this.steps.push('send email');
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    return { messageIds: [`m-${this.sent.length}`] };
  }
}

class FakeSlack implements SlackSender {
  readonly posted: SlackMessage[] = [];
  readonly deadlines: Array<number | undefined> = [];
  failWith: Error | undefined;
  constructor(private readonly steps: Step[]) {}
  async post(message: SlackMessage, options?: FetchOptions) {
    this.steps.push('post slack');
    this.deadlines.push(options?.deadline);
    if (this.failWith) throw this.failWith;
    this.posted.push(message);
    return { ts: `1700000000.00000${this.posted.length}` };
  }
}

class FakeLogger implements ReportLogger {
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
  const source = new FakeSource(steps);
  const ledger = new FakeLedger(steps);
  const email = new FakeEmail(steps);
  const slack = new FakeSlack(steps);
  const logger = new FakeLogger();
  const deps: ReportDeps = {
    source,
    ledger,
    email,
    slack: { sender: slack, channel: 'C0123456789' },
    settings: {
      org: 'Acme',
      timezone: 'UTC',
      site: 'datadoghq.com',
      windowDays: 7,
      baselineDays: 28,
      thresholds: DEFAULT_THRESHOLDS,
      suppress: [],
    },
    logger,
  };
  return { steps, source, ledger, email, slack, logger, deps };
}

const EMAIL_KEY = 'Acme:2026-11-23T09:00:00.000Z:email';
const SLACK_KEY = 'Acme:2026-11-23T09:00:00.000Z:slack';

describe('runReport', () => {
  it('fetches, summarizes and renders before sending, then sends each channel once and records it', async () => {
    // Prepare
    const { steps, ledger, email, slack, logger, deps } = setup();

    // Act
    const result = await runReport(deps, { end: END });

    // Assess
    const firstSend = Math.min(steps.indexOf('send email'), steps.indexOf('post slack'));
    expect(steps.slice(0, firstSend).filter((s) => s === 'collect').length).toBeGreaterThanOrEqual(1);
    expect(steps.lastIndexOf('collect')).toBeLessThan(firstSend);
    expect(logger.lines.map((l) => l.message).slice(0, 3)).toEqual(['fetch_done', 'summarize_done', 'render_done']);
    expect(email.sent).toHaveLength(1);
    expect(email.sent[0]?.subject).toContain('Acme');
    expect(email.sent[0]?.html).toContain('<');
    expect(email.sent[0]?.text.length).toBeGreaterThan(0);
    expect(slack.posted).toHaveLength(1);
    expect(slack.posted[0]?.channel).toBe('C0123456789');
    expect([...ledger.items.entries()].map(([k, v]) => [k, v.status]).sort()).toEqual([
      [EMAIL_KEY, 'DELIVERED'],
      [SLACK_KEY, 'DELIVERED'],
    ]);
    expect(ledger.items.get(EMAIL_KEY)?.detail).toEqual({ messageIds: 'm-1' });
    expect(result.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'delivered'],
      ['slack', 'delivered'],
    ]);
    expect(logger.outcomes()).toEqual(['email:delivered', 'slack:delivered']);
    expect(result.summary.window).toEqual({ from: '2026-11-16T09:00:00.000Z', to: '2026-11-23T09:00:00.000Z' });
  });

  it('reports the window [end − windowDays, end) and passes the deadline to the source and to Slack', async () => {
    // Prepare
    const { source, slack, deps } = setup();
    const deadline = Date.now() + 60_000;

    // Act
    await runReport(deps, { end: END, deadline });

    // Assess
    expect(source.ranges).toContainEqual({
      from: '2026-11-16T09:00:00.000Z',
      to: '2026-11-23T09:00:00.000Z',
      deadline,
    });
    expect(slack.deadlines).toEqual([deadline]);
  });

  it('skips every channel already recorded as delivered and sends nothing', async () => {
    // Prepare
    const { email, slack, logger, deps } = setup();
    await runReport(deps, { end: END });
    logger.lines.length = 0;

    // Act
    const again = await runReport(deps, { end: END });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(slack.posted).toHaveLength(1);
    expect(again.channels.map((c) => c.outcome)).toEqual(['skipped_already_delivered', 'skipped_already_delivered']);
    expect(logger.outcomes()).toEqual(['email:skipped_already_delivered', 'slack:skipped_already_delivered']);
  });

  it('delivers and records the email when Slack fails, then throws a DeliveryError naming slack', async () => {
    // Prepare
    const { ledger, email, slack, logger, deps } = setup();
    slack.failWith = new Error('channel_not_found');

    // Act
    const run = runReport(deps, { end: END });

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
    expect(logger.outcomes()).toEqual(['email:delivered', 'slack:failed']);
  });

  it('retries only the failed channel on the next attempt', async () => {
    // Prepare
    const { email, slack, deps } = setup();
    slack.failWith = new Error('HTTP 500');
    await expect(runReport(deps, { end: END })).rejects.toThrow(DeliveryError);
    slack.failWith = undefined;

    // Act
    const retry = await runReport(deps, { end: END });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(slack.posted).toHaveLength(1);
    expect(retry.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['email', 'skipped_already_delivered'],
      ['slack', 'delivered'],
    ]);
  });

  it('names both channels when both fail, and releases both claims', async () => {
    // Prepare
    const { steps, ledger, email, slack, deps } = setup();
    email.failWith = new Error('MessageRejected');
    slack.failWith = new Error('invalid_auth');

    // Act
    const error = await runReport(deps, { end: END }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failedChannels).toEqual(['email', 'slack']);
    expect(ledger.items.size).toBe(0);
    expect(steps).toEqual(expect.arrayContaining([`release ${EMAIL_KEY}`, `release ${SLACK_KEY}`]));
  });

  it('does not send a channel another invocation is delivering, and fails so the retry sees the outcome', async () => {
    // Prepare
    const { ledger, email, slack, deps } = setup();
    ledger.items.set(SLACK_KEY, { status: 'IN_PROGRESS' });

    // Act
    const error = await runReport(deps, { end: END }).catch((e: unknown) => e);

    // Assess
    expect((error as DeliveryError).failedChannels).toEqual(['slack']);
    expect((error as DeliveryError).message).toMatch(/another invocation is delivering/);
    expect(slack.posted).toHaveLength(0);
    expect(email.sent).toHaveLength(1);
    expect(ledger.items.get(SLACK_KEY)?.status).toBe('IN_PROGRESS');
  });

  it('sends nothing when the ledger cannot be read', async () => {
    // Prepare
    const { ledger, email, slack, deps } = setup();
    ledger.failClaims = true;

    // Act
    const error = await runReport(deps, { end: END }).catch((e: unknown) => e);

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
    const result = await runReport(deps, { end: END });

    // Assess
    expect(email.sent).toHaveLength(1);
    expect(result.channels.map((c) => c.outcome)).toEqual(['delivered', 'delivered']);
    expect(logger.lines.filter((l) => l.message === 'ledger_record_failed')).toHaveLength(2);
  });

  it('delivers only the configured channels', async () => {
    // Prepare
    const { email, slack, deps } = setup();
    const { slack: _omitted, ...emailOnly } = deps;

    // Act
    const result = await runReport(emailOnly, { end: END });

    // Assess
    expect(result.channels.map((c) => c.channel)).toEqual(['email']);
    expect(email.sent).toHaveLength(1);
    expect(slack.posted).toHaveLength(0);
  });

  it('logs counts and timings, never raw event payloads', async () => {
    // Prepare
    const { logger, deps } = setup();

    // Act
    await runReport(deps, { end: END });

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
