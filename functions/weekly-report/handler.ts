/**
 * The Lambda handler and composition root. On the first invocation of an execution environment
 * (cold start) it validates the environment (readEnv) and builds the logger, the metrics and the
 * AWS clients, whose endpoints come only from the SDK's standard AWS_ENDPOINT_URL_* variables;
 * the secret is read once and cached. Each invocation turns the schedule's `scheduledTime` into
 * the report window (so a retry reports the same window) and runs the job with a deadline short
 * of the timeout. It returns a small result (window, completeness, counts, channel outcomes):
 * the whole summary goes to the archive and the logs' counts, never into a Lambda response.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import type { Context } from 'aws-lambda';
import { createDatadogAuditSource } from './adapters/datadog-audit';
import { createDatadogMetricsSource } from './adapters/datadog-metrics';
import { createDynamoDbLedger } from './adapters/delivery-ledger';
import { createS3BlobStore } from './adapters/s3-blob-store';
import { createSecretsCredentials } from './adapters/secrets';
import { createSesEmailSender } from './adapters/ses-email';
import { createSlackSender, createSlackWebClient } from './adapters/slack-post';
import { createReportArchive } from './archive/report-archive';
import type { AnomalyKind } from './core/types';
import { type HandlerConfig, readEnv } from './env';
import { DeliveryError, ReportError, ReportUnavailableError, SlackDeliveryError } from './errors';
import type { SlackSender } from './ports';
import { METRIC_NAMESPACE, type MetricsSink, publishRunMetrics, publishUnavailable } from './run-metrics';
import {
  type ChannelName,
  type ChannelOutcome,
  type ReportDeps,
  type ReportLogger,
  type RunResult,
  runReport,
} from './run-report';

/** The schedule's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`; empty means "now". */
export interface ReportEvent {
  readonly scheduledTime?: string;
}

/** What an invocation returns: small whatever the week (never the summary, which can be megabytes). */
export interface HandlerResult {
  readonly window: { readonly from: string; readonly to: string };
  readonly complete: boolean;
  readonly totalToolCalls: number;
  readonly uniqueUsers: number;
  readonly anomalies: number;
  readonly anomalyCounts: Readonly<Record<AnomalyKind, number | null>>;
  /** Causes of a partial report, one per cause (the first 10). */
  readonly incompleteReasons: readonly string[];
  readonly channels: ReadonlyArray<{ readonly channel: ChannelName; readonly outcome: ChannelOutcome }>;
}

export type ReportHandler = (
  event: ReportEvent | null | undefined,
  context?: Partial<Context>,
) => Promise<HandlerResult>;

export interface HandlerOptions {
  /** @default a Powertools Logger with service name `ai-activity-audit` */
  readonly logger?: Logger;
  /** @default Powertools Metrics, namespace `AiActivityAudit` */
  readonly metrics?: MetricsSink;
  /** @default Date.now */
  readonly now?: () => number;
  /** Time kept free before the Lambda timeout for recording outcomes and logging. @default 10000 */
  readonly safetyMarginMs?: number;
  /** @default setTimeout (the wait between looks at a channel another invocation is delivering) */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called with the full result after a successful run (`npm start` writes `out/` from it). */
  readonly onResult?: (result: RunResult) => void | Promise<void>;
}

/** Without a Lambda context (local runs), the job gets this long. */
const DEFAULT_REMAINING_MS = 15 * 60 * 1000;

/**
 * Builds a handler: validates `env` now (throws ConfigError naming every bad variable) and
 * creates the clients; reads the secret on the first invocation. One call = one cold start.
 */
export function createHandler(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: HandlerOptions = {},
): ReportHandler {
  const logger = options.logger ?? new Logger({ serviceName: 'ai-activity-audit' });
  const metrics: MetricsSink =
    options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'ai-activity-audit' });
  let config: HandlerConfig;
  try {
    config = readEnv(env);
  } catch (error) {
    logger.error('config_invalid', { error: error as Error });
    throw error;
  }
  logger.appendPersistentKeys({ org: config.org });
  const log = narrowLogger(logger);
  logger.info('cold_start', {
    channels: [config.email ? 'email' : undefined, config.slack ? 'slack' : undefined].filter(Boolean),
    archive: config.archiveBucket ?? null,
    recipients: config.email?.to.length ?? 0,
    windowDays: config.windowDays,
    baselineDays: config.baselineDays,
    datadogSite: config.datadog.site,
    customDatadogUrl: config.datadog.apiUrl !== undefined,
  });
  const now = options.now ?? Date.now;
  const safetyMarginMs = options.safetyMarginMs ?? 10_000;

  // AWS clients read region, credentials and AWS_ENDPOINT_URL_<SERVICE> from the environment.
  const credentials = createSecretsCredentials({ client: new SecretsManagerClient({}), secretId: config.secretId });
  const ledger = createDynamoDbLedger({ client: new DynamoDBClient({}), tableName: config.idempotencyTable });
  const email = config.email
    ? createSesEmailSender({
        // Throttling is retried by the SDK; 5 attempts ride out a short burst.
        client: new SESClient({ maxAttempts: 5 }),
        from: config.email.from,
        to: config.email.to,
        ...(config.email.configurationSet ? { configurationSet: config.email.configurationSet } : {}),
      })
    : undefined;

  const archive = config.archiveBucket
    ? createReportArchive(
        createS3BlobStore({
          // Path-style addressing for a local stand-in (s3rver); virtual-hosted style against AWS.
          client: new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
          bucket: config.archiveBucket,
        }),
        config.org,
      )
    : undefined;

  let deps: Promise<ReportDeps> | undefined;
  const buildDeps = async (): Promise<ReportDeps> => {
    const creds = await credentials.load();
    const datadog = {
      apiKey: creds.ddApiKey,
      appKey: creds.ddAppKey,
      site: config.datadog.site,
      ...(config.datadog.apiUrl ? { baseUrl: config.datadog.apiUrl } : {}),
      logger: log,
    };
    const source = createDatadogAuditSource(datadog);
    // The same keys read the MCP usage metric (tools, clients); without timeseries_query the report says so.
    const usage = createDatadogMetricsSource(datadog);
    let slack: ReportDeps['slack'];
    if (config.slack) {
      slack = { channel: config.slack.channel, sender: slackSender(creds.slackBotToken, config.slack.apiUrl) };
    }
    return {
      source,
      usage,
      ledger,
      ...(email ? { email } : {}),
      ...(slack ? { slack } : {}),
      ...(archive ? { archive } : {}),
      settings: {
        org: config.org,
        timezone: config.timezone,
        site: config.datadog.site,
        windowDays: config.windowDays,
        baselineDays: config.baselineDays,
        window: config.window,
        thresholds: config.thresholds,
        suppress: config.suppress,
      },
      logger: log,
      now,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
  };

  const slackSender = (token: string | undefined, apiUrl: string | undefined): SlackSender => {
    if (!token) {
      // Email still goes out; only the Slack channel fails, naming the fix.
      return {
        post: () =>
          Promise.reject(
            new SlackDeliveryError('SLACK_CHANNEL is set but the credentials secret has no slackBotToken: add it', {
              code: 'missing_token',
            }),
          ),
      };
    }
    return createSlackSender({
      client: createSlackWebClient(token, { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), log }),
      logger: log,
      now,
    });
  };

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Context);
    const started = now();
    try {
      const end = windowEnd(event, now);
      const remaining = Math.floor(context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS);
      // Whole milliseconds: a fractional deadline makes AbortSignal.timeout throw on every request.
      const deadline = started + Math.floor(Math.max(remaining - safetyMarginMs, remaining / 2));
      // Ledger bookkeeping after a send may use the margin, up to a second before the timeout.
      const hardDeadline = Math.max(deadline, started + remaining - 1_000);
      logger.info('report_start', {
        end: end.toISOString(),
        scheduled: typeof event?.scheduledTime === 'string',
        remainingMs: remaining,
      });
      deps ??= buildDeps().catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      const result = await runReport(await deps, { end, deadline, hardDeadline });
      publishRunMetrics(metrics, figures(result));
      await options.onResult?.(result);
      logger.info('report_succeeded', { durationMs: now() - started });
      return handlerResult(result);
    } catch (error) {
      if (error instanceof ReportUnavailableError) publishUnavailable(metrics);
      if (error instanceof DeliveryError && error.run) publishRunMetrics(metrics, figures(error.run));
      logger.error('report_failed', { durationMs: now() - started, error: error as Error });
      throw error;
    }
  };
}

function figures(run: RunResult) {
  return {
    eventsRead: run.summary.total_tool_calls,
    baselineEvents: run.summary.baseline?.events ?? null,
    anomalies: run.summary.anomalies.length,
    complete: run.summary.complete,
    channels: run.channels,
  };
}

/** The invocation's small result (the summary itself can run to megabytes). */
export function handlerResult(run: RunResult): HandlerResult {
  const { summary } = run;
  return {
    window: summary.window,
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    anomalyCounts: summary.anomaly_counts,
    incompleteReasons: summary.complete ? [] : summary.warnings.slice(0, 10).map((w) => w.slice(0, 500)),
    channels: run.channels.map((c) => ({ channel: c.channel, outcome: c.outcome })),
  };
}

/** When the run fires: the schedule's `scheduledTime`, or now when the event carries none. The window is derived from it. */
export function windowEnd(event: ReportEvent | null | undefined, now: () => number = Date.now): Date {
  const raw = event?.scheduledTime;
  if (raw === undefined || raw === null) return new Date(now());
  const time = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new ReportError(
      `event.scheduledTime must be an ISO 8601 time such as 2026-11-23T09:00:00Z (got ${JSON.stringify(raw).slice(0, 60)})`,
    );
  }
  return new Date(time);
}

/** The job's narrow logger over Powertools (whose variadic signature does not fit an optional argument). */
function narrowLogger(logger: Logger): ReportLogger {
  return {
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
}

let deployed: ReportHandler | undefined;

/**
 * The deployed entry point. The first invocation of an execution environment builds the handler
 * from process.env (a bad variable fails that invocation with a ConfigError naming it, and every
 * one after it until the configuration is fixed); later ones reuse it.
 */
export const handler: ReportHandler = async (event, context) => {
  deployed ??= createHandler(process.env);
  return deployed(event, context);
};
