/**
 * From what was read to a report's summary, the same for the Lambda and the command line:
 * nothing read? → the report's share of the usage metric → summarize → what the archive adds
 * (where the baseline came from, its warnings, the 12-week trend).
 */
import type { ReportArchive } from '../archive/report-archive';
import type { BaselineAggregate, WindowAggregate } from '../core/aggregate';
import { describeGaps, isUnread } from '../core/gaps';
import type { Share } from '../core/scope';
import { summarize } from '../core/summarize';
import type { TimeRange } from '../core/time';
import type { AnalysisSettings, McpUsageData, Summary } from '../core/types';
import { ReportUnavailableError } from '../errors';
import type { CallOptions, Logger } from '../ports';
import { type Membership, withHistory } from './history';

/**
 * No report from nothing: when not one page of `window` could be read, there is no report (a
 * total outage must never look like a quiet week). Throws ReportUnavailableError naming the causes.
 */
export function assertRead(read: WindowAggregate, window: TimeRange, timezone: string): void {
  if (isUnread(read.incomplete, window.from, window.to)) {
    throw new ReportUnavailableError(window, describeGaps(read.incomplete, timezone));
  }
}

/** What one report's summary is made of: its aggregates and what the read and the archive said. */
export interface ReportData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: TimeRange;
  readonly baselineSources?: { readonly archive_days: number; readonly fetched_days: number };
  readonly archiveWarnings: readonly string[];
  /** The whole read's usage metric: narrowed here to the report's share. */
  readonly usage?: McpUsageData;
  /** Whom a scoped report counted (pipeline/read.ts), said in its summary's scope. */
  readonly membership?: Membership;
}

export interface AnalyzeOptions {
  /** The report window (absent for a file without --from/--to: the data's own span). */
  readonly window?: TimeRange;
  /** The report's archive: its trend, and where its baseline came from. */
  readonly archive?: ReportArchive;
  /** Local days of the window: the trend steps back by it. */
  readonly windowDays: number;
  readonly logger?: Logger;
  readonly call?: CallOptions;
}

/** The summary of one report: its share of the data, summarized, with what its archive adds. Never throws for the archive. */
export async function analyzeReport(
  data: ReportData,
  share: Share,
  settings: AnalysisSettings,
  options: AnalyzeOptions,
): Promise<Summary> {
  const usage = data.usage && share.narrowUsage ? share.narrowUsage(data.usage) : data.usage;
  const summary = summarize(
    data.window,
    data.baseline,
    {
      ...settings,
      ...(options.window ? { window: options.window } : {}),
      ...(data.baselineRange ? { baselineWindow: data.baselineRange } : {}),
      ...(share.label !== undefined ? { scopeLabel: share.label } : {}),
    },
    usage,
  );
  return withHistory(summary, data, options.archive, options.windowDays, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.call ? { call: options.call } : {}),
  });
}
