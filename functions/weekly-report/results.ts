/**
 * What a report run gives back: its summary, its rendering, and how each channel ended. The
 * handler shapes it into its small result and metrics; the local run writes `out/` from it.
 */
import type { Summary } from './core/types';
import type { RenderedReport } from './ports';

/** The archive is a channel too: claimed, written and recorded like the two deliveries, before them. */
export type ChannelName = 'archive' | 'email' | 'slack';
export type ChannelOutcome = 'delivered' | 'skipped_already_delivered' | 'failed';

export interface ChannelResult {
  readonly channel: ChannelName;
  readonly outcome: ChannelOutcome;
  /** The idempotency key `{report key}:{window.to}:{channel}`. */
  readonly key: string;
  readonly durationMs: number;
  readonly error?: Error;
  /** Sent, but the ledger could not record it (a retry could send it again once the claim lapses). */
  readonly recordFailed?: boolean;
}

export interface RunResult {
  readonly summary: Summary;
  readonly report: RenderedReport;
  readonly channels: readonly ChannelResult[];
}
