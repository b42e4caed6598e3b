/**
 * The Lambda handler and composition root. On the first invocation of an execution environment
 * (cold start) it validates the environment and the reports (readEnv) and builds the logger, the
 * metrics and the AWS clients, whose endpoints come only from the SDK's standard
 * AWS_ENDPOINT_URL_* variables; each org's secret is read once and cached, and each org gets one
 * Datadog source, metric source and Slack client. Each invocation turns the schedule's
 * `scheduledTime` into the report window (so a retry reports the same window) and runs the
 * reports it names (`reports`, or all) with a deadline short of the timeout: the reports of one
 * org and window share one fetch (run-report.ts). It returns a small result (per report: window,
 * completeness, counts, channel outcomes): summaries go to the archive and the logs' counts,
 * never into a Lambda response.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import type { Context } from 'aws-lambda';
import { createDatadogAuditSource } from './adapters/datadog/audit-source';
import { createDatadogMetricsSource } from './adapters/datadog/metrics-source';
import { createDatadogTeamDirectory } from './adapters/datadog/team-directory';
import { createDynamoDbLedger } from './adapters/delivery-ledger';
import { createS3BlobStore } from './adapters/s3-blob-store';
import { createSecretsCredentials } from './adapters/secrets';
import { createSesEmailSender } from './adapters/ses-email';
import { createSlackSender, createSlackWebClient } from './adapters/slack-post';
import { createReportArchive } from './archive/report-archive';
import { type HandlerConfig, readEnv } from './config/env';
import { fetchGroupKey, orgKey, type ReportDefinition } from './config/report-definitions';
import type { AnomalyKind } from './core/types';
import { ReportError, ReportUnavailableError, SlackDeliveryError } from './errors';
import type { BlobStore, Logger, SlackSender } from './ports';
import type { ChannelName, ChannelOutcome, RunResult } from './results';
import { METRIC_NAMESPACE, type MetricsSink, publishRunMetrics, publishUnavailable } from './run-metrics';
import { type GroupDeps, type ReportOutcome, type ReportUnit, runReportGroup } from './run-report';

/**
 * The schedule's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`, and with several
 * reports the names of the schedule's reports; empty means "now", every report.
 */
export interface ReportEvent {
  readonly scheduledTime?: string;
  readonly reports?: readonly string[];
}

/** One report's part of an invocation's result. */
export interface ReportResult {
  readonly report: string;
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

/**
 * What an invocation returns: small whatever the week (never a summary, which can be megabytes).
 * `reports` has one entry per report run; with one report, its fields are also at the top level.
 */
export type HandlerResult = Partial<ReportResult> & { readonly reports: readonly ReportResult[] };

export type ReportHandler = (
  event: ReportEvent | null | undefined,
  context?: Partial<Context>,
) => Promise<HandlerResult>;

export interface HandlerOptions {
  /** @default a Powertools Logger with service name `ai-activity-audit` */
  readonly logger?: PowertoolsLogger;
  /** @default Powertools Metrics, namespace `AiActivityAudit` */
  readonly metrics?: MetricsSink;
  /** @default Date.now */
  readonly now?: () => number;
  /** Time kept free before the Lambda timeout for recording outcomes and logging. @default 10000 */
  readonly safetyMarginMs?: number;
  /** @default setTimeout (the wait between looks at a channel another invocation is delivering) */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called with each report's full result after a successful invocation (`npm start` writes `out/` from it). */
  readonly onResult?: (result: RunResult, report: string) => void | Promise<void>;
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
  const logger = options.logger ?? new PowertoolsLogger({ serviceName: 'ai-activity-audit' });
  const metrics: MetricsSink =
    options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'ai-activity-audit' });
  let config: HandlerConfig;
  try {
    config = readEnv(env);
  } catch (error) {
    logger.error('config_invalid', { error: error as Error });
    throw error;
  }
  const log = narrowLogger(logger);
  logger.info('cold_start', {
    reports: config.reports.map((r) => ({
      name: r.name,
      org: r.org,
      channels: [r.email ? 'email' : undefined, r.slack ? 'slack' : undefined].filter(Boolean),
      recipients: r.email?.to.length ?? 0,
      scope: r.scope ?? null,
      datadogSite: r.site,
    })),
    archive: config.archiveBucket ?? null,
    customDatadogUrl: config.reports.some((r) => r.datadogApiUrl !== undefined),
  });
  const now = options.now ?? Date.now;
  const safetyMarginMs = options.safetyMarginMs ?? 10_000;

  // AWS clients read region, credentials and AWS_ENDPOINT_URL_<SERVICE> from the environment; one each.
  const secretsClient = new SecretsManagerClient({});
  const ledger = createDynamoDbLedger({ client: new DynamoDBClient({}), tableName: config.idempotencyTable });
  // Throttling is retried by the SDK; 5 attempts ride out a short burst.
  const ses = new SESClient({ maxAttempts: 5 });
  const store: BlobStore | undefined = config.archiveBucket
    ? createS3BlobStore({
        // Path-style addressing for a local stand-in (s3rver); virtual-hosted style against AWS.
        client: new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
        bucket: config.archiveBucket,
      })
    : undefined;

  /** What one org's reports share: its secret's keys, one Datadog source and metric source, one Slack client. */
  interface OrgClients {
    readonly source: GroupDeps['source'];
    readonly usage: NonNullable<GroupDeps['usage']>;
    /** Only reports scoped to teams ask it anything (the key then needs teams_read). */
    readonly teams: NonNullable<GroupDeps['teams']>;
    readonly slackToken?: string;
    readonly slackSenders: Map<string, SlackSender>;
  }
  const orgs = new Map<string, Promise<OrgClients>>();
  const orgClients = (report: ReportDefinition): Promise<OrgClients> => {
    const key = orgKey(report);
    let clients = orgs.get(key);
    if (!clients) {
      const credentials = createSecretsCredentials({ client: secretsClient, secretId: report.secretId });
      clients = credentials.load().then((creds) => {
        const datadog = {
          apiKey: creds.ddApiKey,
          appKey: creds.ddAppKey,
          site: report.site,
          ...(report.datadogApiUrl ? { baseUrl: report.datadogApiUrl } : {}),
          logger: log,
        };
        return {
          source: createDatadogAuditSource(datadog),
          // The same keys read the MCP usage metric (tools, clients); without timeseries_query the report says so.
          usage: createDatadogMetricsSource(datadog),
          teams: createDatadogTeamDirectory(datadog),
          ...(creds.slackBotToken ? { slackToken: creds.slackBotToken } : {}),
          slackSenders: new Map(),
        };
      });
      // A failed read is not kept: the next invocation tries again (the secret may be fixed by then).
      clients.catch(() => orgs.delete(key));
      orgs.set(key, clients);
    }
    return clients;
  };

  /** A report's own senders and archive, over its org's clients. */
  const unitOf = (report: ReportDefinition, org: OrgClients): ReportUnit => {
    const email = report.email
      ? createSesEmailSender({
          client: ses,
          from: report.email.from,
          to: report.email.to,
          ...(report.email.configurationSet ? { configurationSet: report.email.configurationSet } : {}),
        })
      : undefined;
    let slack: ReportUnit['slack'];
    if (report.slack) {
      const apiUrl = report.slack.apiUrl ?? '';
      let sender = org.slackSenders.get(apiUrl);
      if (!sender) {
        sender = slackSender(org.slackToken, report.slack.apiUrl);
        org.slackSenders.set(apiUrl, sender);
      }
      slack = { channel: report.slack.channel, sender };
    }
    return {
      settings: {
        name: report.name,
        key: report.key,
        org: report.org,
        timezone: report.timezone,
        site: report.site,
        windowDays: report.windowDays,
        baselineDays: report.baselineDays,
        window: report.windowMode,
        thresholds: report.thresholds,
        suppress: report.suppress,
        ...(report.scope ? { scope: report.scope } : {}),
      },
      ...(email ? { email } : {}),
      ...(slack ? { slack } : {}),
      ...(store ? { archive: createReportArchive(store, report.key) } : {}),
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

  /** The reports an event names (all when it names none), grouped by shared fetch. */
  const groupsFor = (event: ReportEvent | null | undefined): ReportDefinition[][] => {
    const names = event?.reports;
    let chosen = config.reports;
    if (names !== undefined) {
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
        throw new ReportError('event.reports must be a list of report names');
      }
      const unknown = names.filter((n) => !config.reports.some((r) => r.name === n));
      if (unknown.length > 0) {
        throw new ReportError(
          `event.reports names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which this deployment does not define (it has ${config.reports.map((r) => r.name).join(', ')})`,
        );
      }
      chosen = config.reports.filter((r) => names.includes(r.name));
    }
    const groups = new Map<string, ReportDefinition[]>();
    for (const report of chosen) {
      const key = fetchGroupKey(report);
      groups.set(key, [...(groups.get(key) ?? []), report]);
    }
    return [...groups.values()];
  };

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Context);
    const started = now();
    try {
      const end = windowEnd(event, now);
      const groups = groupsFor(event);
      const remaining = Math.floor(context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS);
      // Whole milliseconds: a fractional deadline makes AbortSignal.timeout throw on every request.
      const deadline = started + Math.floor(Math.max(remaining - safetyMarginMs, remaining / 2));
      // Ledger bookkeeping after a send may use the margin, up to a second before the timeout.
      const hardDeadline = Math.max(deadline, started + remaining - 1_000);
      logger.info('report_start', {
        end: end.toISOString(),
        scheduled: typeof event?.scheduledTime === 'string',
        reports: groups.map((g) => g.map((r) => r.name)),
        remainingMs: remaining,
      });

      // One fetch group after the other: each is one org's fetch, against that org's rate limit.
      const outcomes: ReportOutcome[] = [];
      const failures: Error[] = [];
      for (const group of groups) {
        const first = group[0] as ReportDefinition;
        try {
          const org = await orgClients(first);
          const deps: GroupDeps = {
            source: org.source,
            usage: org.usage,
            teams: org.teams,
            ledger,
            logger: log,
            now,
            ...(options.sleep ? { sleep: options.sleep } : {}),
          };
          const groupOutcomes = await runReportGroup(
            deps,
            group.map((r) => unitOf(r, org)),
            { end, deadline, hardDeadline },
          );
          outcomes.push(...groupOutcomes);
        } catch (error) {
          if (error instanceof ReportUnavailableError) publishUnavailable(metrics);
          logger.error('report_group_failed', {
            reports: group.map((r) => r.name),
            error: error as Error,
          });
          failures.push(error as Error);
        }
      }
      for (const outcome of outcomes) {
        if (outcome.result) publishRunMetrics(metrics, figures(outcome.result));
        if (outcome.error) failures.push(outcome.error);
      }
      const results = outcomes.flatMap((o) => (o.result ? [reportResult(o.name, o.result)] : []));
      if (failures.length > 0) throw failures.length === 1 ? failures[0] : combined(failures);
      for (const outcome of outcomes) if (outcome.result) await options.onResult?.(outcome.result, outcome.name);
      logger.info('report_succeeded', { durationMs: now() - started, reports: results.length });
      return results.length === 1 ? { ...(results[0] as ReportResult), reports: results } : { reports: results };
    } catch (error) {
      logger.error('report_failed', { durationMs: now() - started, error: error as Error });
      throw error;
    }
  };
}

/** Several reports failed: one error naming each, with every cause kept. */
function combined(failures: readonly Error[]): ReportError {
  return new ReportError(`${failures.length} reports failed: ${failures.map((f) => f.message).join(' | ')}`, {
    cause: new AggregateError(failures),
  });
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
function narrowLogger(logger: PowertoolsLogger): Logger {
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
