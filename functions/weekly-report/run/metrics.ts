/**
 * One CloudWatch metric per run (Powertools Metrics, embedded metric format in the log stream):
 * what was read, what was flagged, whether the report is complete, and each channel's outcome.
 * The stack's alarms watch `ReportComplete` (a partial report), `LedgerRecordFailed` (a send
 * the ledger could not record) and `ReportUnavailable` (nothing of the week could be read).
 * `DeliveryUnknown` counts channels whose send may have happened but whose answer was lost (the
 * invocation fails then too); `FoundAfterLostAnswer` the Slack posts a later run found sent.
 */
import type { ChannelResult } from './results';

/** The part of Powertools Metrics this needs (units are CloudWatch unit names). */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count', value: number): unknown;
  publishStoredMetrics(): void;
}

export const METRIC_NAMESPACE = 'AiActivityAudit';

export const METRICS = {
  eventsRead: 'EventsRead',
  baselineEvents: 'BaselineEvents',
  anomalies: 'Anomalies',
  complete: 'ReportComplete',
  unavailable: 'ReportUnavailable',
  ledgerRecordFailed: 'LedgerRecordFailed',
  deliveryUnknown: 'DeliveryUnknown',
  foundAfterLostAnswer: 'FoundAfterLostAnswer',
} as const;

const OUTCOME_METRIC = {
  delivered: 'Delivered',
  failed: 'Failed',
  skipped_already_delivered: 'Skipped',
  unknown: 'Unknown',
} as const;

/** `EmailDelivered`, `SlackFailed`, `EmailSkipped`, `SlackUnknown`, `SlackThreadDelivered`, … */
export function channelMetricName(result: Pick<ChannelResult, 'channel' | 'outcome'>): string {
  const channel = result.channel
    .split('_')
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
  return `${channel}${OUTCOME_METRIC[result.outcome]}`;
}

export interface RunFigures {
  readonly eventsRead: number;
  readonly baselineEvents: number | null;
  readonly anomalies: number;
  readonly complete: boolean;
  readonly channels: ReadonlyArray<Pick<ChannelResult, 'channel' | 'outcome' | 'recordFailed' | 'found'>>;
}

/** Publishes the metrics of a run that produced a report (delivered or not). */
export function publishRunMetrics(sink: MetricsSink, run: RunFigures): void {
  sink.addMetric(METRICS.eventsRead, 'Count', run.eventsRead);
  if (run.baselineEvents !== null) sink.addMetric(METRICS.baselineEvents, 'Count', run.baselineEvents);
  sink.addMetric(METRICS.anomalies, 'Count', run.anomalies);
  sink.addMetric(METRICS.complete, 'Count', run.complete ? 1 : 0);
  sink.addMetric(METRICS.ledgerRecordFailed, 'Count', run.channels.filter((c) => c.recordFailed).length);
  sink.addMetric(METRICS.deliveryUnknown, 'Count', run.channels.filter((c) => c.outcome === 'unknown').length);
  sink.addMetric(METRICS.foundAfterLostAnswer, 'Count', run.channels.filter((c) => c.found).length);
  for (const channel of run.channels) sink.addMetric(channelMetricName(channel), 'Count', 1);
  sink.publishStoredMetrics();
}

/** Publishes the metric of a run that could not read the window at all (no report). */
export function publishUnavailable(sink: MetricsSink): void {
  sink.addMetric(METRICS.unavailable, 'Count', 1);
  sink.publishStoredMetrics();
}
