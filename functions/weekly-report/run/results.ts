/**
 * What a report run gives back: its summary, its rendering, and how each channel ended. The
 * handler shapes it into its small result and metrics; the local run writes `out/` from it.
 */
import type { Summary } from '../core/types';
import type { RenderedReport } from '../ports';

/**
 * The archive is a channel too: claimed, written and recorded like the deliveries, before them.
 * `slack` is the channel post; `slack_thread` its reply in the post's thread, a channel of its own
 * so that a rerun after a failed reply posts only the reply (docs/delivery.md). `teams` is
 * Microsoft Teams (a workflow webhook), not Datadog Teams.
 */
export type ChannelName = 'archive' | 'email' | 'slack' | 'slack_thread' | 'teams';
/**
 * - `delivered`: sent now, or found sent (a Slack post whose answer an earlier run lost: `found`);
 * - `skipped_already_delivered`: the ledger says an earlier run delivered it; nothing was sent;
 * - `failed`: not sent (certainly); the next attempt sends it;
 * - `unknown`: it may have been sent but the answer was lost (now or by an earlier run); it is not
 *   sent again blindly (docs/delivery.md). Like `failed`, it fails the invocation.
 */
export type ChannelOutcome = 'delivered' | 'skipped_already_delivered' | 'failed' | 'unknown';

export interface ChannelResult {
  readonly channel: ChannelName;
  readonly outcome: ChannelOutcome;
  /** The idempotency key `{report key}:{window.to}:{channel}`. */
  readonly key: string;
  readonly durationMs: number;
  readonly error?: Error;
  /** Sent, but the ledger could not record it (its claim lapses into "unknown"). */
  readonly recordFailed?: boolean;
  /** Delivered by an earlier run whose answer was lost: this run found the post and sent nothing. */
  readonly found?: boolean;
  /** What the ledger records of a delivered (or already delivered) channel: a Slack post's `ts`. */
  readonly detail?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly summary: Summary;
  readonly report: RenderedReport;
  readonly channels: readonly ChannelResult[];
}

/** One report's part of an invocation's result: small whatever the week (never the summary). */
export interface ReportResult {
  readonly report: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly complete: boolean;
  readonly totalToolCalls: number;
  readonly uniqueUsers: number;
  readonly anomalies: number;
  readonly anomalyCounts: Summary['anomaly_counts'];
  /** Causes of a partial report, one per cause (the first 10). */
  readonly incompleteReasons: readonly string[];
  readonly channels: ReadonlyArray<{
    readonly channel: ChannelName;
    readonly outcome: ChannelOutcome;
    /** Present (true) when a delivered channel was found sent by an earlier run rather than sent now. */
    readonly found?: true;
  }>;
}

/** One report's small result (the summary itself can run to megabytes). */
export function reportResult(report: string, run: RunResult): ReportResult {
  const { summary } = run;
  return {
    report,
    window: summary.window,
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    anomalyCounts: summary.anomaly_counts,
    incompleteReasons: summary.complete ? [] : summary.warnings.slice(0, 10).map((w) => w.slice(0, 500)),
    channels: run.channels.map((c) => ({
      channel: c.channel,
      outcome: c.outcome,
      ...(c.found ? { found: true as const } : {}),
    })),
  };
}
