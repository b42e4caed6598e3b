/**
 * The job's error classes. Each names what went wrong and how to fix it, never a secret value,
 * and keeps the original error as `cause` so the logs show the whole chain.
 */

import type { TimeRange } from './core/time';
import type { RunResult } from './run/results';

/** Base of every error this function throws on purpose. */
export class ReportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReportError';
  }
}

/** The environment (or the secret) is missing something or holds a bad value; raised at cold start. */
export class ConfigError extends ReportError {
  /** One line per problem, each naming the variable and the fix. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The credentials secret could not be read or does not have the expected shape. */
export class SecretError extends ReportError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretError';
  }
}

/** One channel could not be delivered; `channel` says which. */
export class ChannelDeliveryError extends ReportError {
  /**
   * The request may have reached the service and taken effect, but no answer said so (a dropped
   * connection, a timeout, a 5xx): the send's outcome is unknown, and it is never sent again blindly.
   */
  readonly answerLost: boolean;
  constructor(
    readonly channel: string,
    message: string,
    options?: ErrorOptions & { answerLost?: boolean },
  ) {
    super(message, options);
    this.name = 'ChannelDeliveryError';
    this.answerLost = options?.answerLost ?? false;
  }
}

export class EmailDeliveryError extends ChannelDeliveryError {
  /** Recipients that were sent to before the failure (a multi-message send can fail halfway). */
  readonly sentRecipients: number;
  constructor(message: string, options?: ErrorOptions & { sentRecipients?: number; answerLost?: boolean }) {
    super('email', message, options);
    this.name = 'EmailDeliveryError';
    this.sentRecipients = options?.sentRecipients ?? 0;
  }
}

export class SlackDeliveryError extends ChannelDeliveryError {
  /** Slack's error code (`channel_not_found`, `invalid_auth`, …) or the HTTP status, when known. */
  readonly code: string | undefined;
  constructor(message: string, options?: ErrorOptions & { code?: string; answerLost?: boolean }) {
    super('slack', message, options);
    this.name = 'SlackDeliveryError';
    this.code = options?.code;
  }
}

/**
 * A channel's earlier send may have gone out, but its answer was lost (the ledger says
 * "unknown"): this run does not send it again, and fails naming it, until it is found (Slack) or
 * an operator resends it on purpose (docs/delivery.md).
 */
export class DeliveryUnknownError extends ChannelDeliveryError {
  constructor(channel: string, message: string, options?: ErrorOptions) {
    super(channel, message, { ...options, answerLost: true });
    this.name = 'DeliveryUnknownError';
  }
}

/** Another invocation holds the claim on this channel of this report right now. */
export class DeliveryInProgressError extends ChannelDeliveryError {
  constructor(channel: string, key: string) {
    super(
      channel,
      `${channel}: another invocation is delivering ${key} right now; this attempt sent nothing (a retry will see the outcome)`,
    );
    this.name = 'DeliveryInProgressError';
  }
}

/**
 * Not one page of the report window could be read (Datadog unreachable, rate-limited or refusing
 * throughout): there is no report, and nothing is sent, since a total outage must never look
 * like a quiet week. `causes` has one line per cause with the time it lost.
 */
export class ReportUnavailableError extends ReportError {
  readonly causes: readonly string[];
  constructor(window: TimeRange, causes: readonly string[], options?: ErrorOptions) {
    super(
      `No report for ${new Date(window.from).toISOString()} to ${new Date(window.to).toISOString()}: not one page of the window could be read ` +
        `from Datadog, so nothing was sent (${causes.join('; ') || 'no cause recorded'})`,
      options,
    );
    this.name = 'ReportUnavailableError';
    this.causes = causes;
  }
}

/**
 * A scoped report's teams could not be resolved: that report is not sent (never the whole org in
 * its place); the other reports are.
 */
export class ScopeError extends ReportError {
  constructor(
    readonly report: string,
    readonly scope: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`Report ${report} (${scope}) was not sent: its scope could not be resolved (${why})`, options);
    this.name = 'ScopeError';
  }
}

/** The idempotency table could not be read or written. */
export class LedgerError extends ReportError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

/** Thrown after every channel was attempted when at least one failed; the invocation fails with it. */
export class DeliveryError extends ReportError {
  readonly failedChannels: readonly string[];
  readonly causes: readonly Error[];
  /** The run as far as it went (summary, report, every channel's outcome), for metrics and logs. */
  readonly run?: RunResult;
  constructor(
    failures: ReadonlyArray<{ readonly channel: string; readonly error: Error }>,
    run?: RunResult,
    /** The report's name, when the deployment has several: the message starts with it. */
    report?: string,
  ) {
    const channels = failures.map((f) => f.channel);
    super(
      `${report !== undefined ? `Report ${report}: ` : ''}Delivery failed for ${channels.join(', ')}: ${failures.map((f) => `${f.channel}: ${f.error.message}`).join('; ')}`,
      { cause: failures.length === 1 ? failures[0]?.error : new AggregateError(failures.map((f) => f.error)) },
    );
    this.name = 'DeliveryError';
    this.failedChannels = channels;
    this.causes = failures.map((f) => f.error);
    if (run) this.run = run;
  }
}

/** Returns `value` as an Error: itself when it is one, else wrapped. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new ReportError(String(value), { cause: value });
}

/**
 * Teams a report is scoped to could not all be resolved to their members (no such team, a key
 * without `teams_read`, Datadog unavailable, the deadline). The report cannot be made: scoped to
 * fewer teams it would be silently narrower, unscoped it would show the whole org. `handles`
 * names every team that failed, `causes` says why for each; the message names both, and never a
 * response body or a key.
 */
export class TeamResolutionError extends ReportError {
  readonly handles: readonly string[];
  /** Why each handle failed, by handle. */
  readonly causes: Readonly<Record<string, string>>;
  constructor(failures: ReadonlyArray<{ readonly handle: string; readonly cause: string }>, options?: ErrorOptions) {
    // Handles that failed for one reason (a refused key fails them all) share one clause.
    const byCause = new Map<string, string[]>();
    for (const { handle, cause } of failures) byCause.set(cause, [...(byCause.get(cause) ?? []), handle]);
    const clauses = [...byCause].map(
      ([cause, handles]) => `${handles.map((h) => JSON.stringify(h)).join(', ')}: ${cause}`,
    );
    super(
      `Could not resolve the Datadog team${failures.length === 1 ? '' : 's'} ` +
        `${failures.map((f) => JSON.stringify(f.handle)).join(', ')} to their members ` +
        `(a team-scoped report is never widened to the whole org): ${clauses.join('; ')}`,
      options,
    );
    this.name = 'TeamResolutionError';
    this.handles = failures.map((f) => f.handle);
    this.causes = Object.fromEntries(failures.map((f) => [f.handle, f.cause]));
  }
}
