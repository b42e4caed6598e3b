/**
 * The Lambda handler and composition root. On the first invocation of an execution environment
 * (cold start) it validates the environment (readEnv) and builds the logger and the AWS clients,
 * whose endpoints come only from the SDK's standard AWS_ENDPOINT_URL_* variables; the secret is
 * read once and cached. Each invocation turns the schedule's `scheduledTime` into the window end
 * (so a retry reports the same window) and runs the job with a deadline short of the timeout.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import type { Context } from 'aws-lambda';
import { createDatadogAuditSource } from './adapters/datadog-audit';
import { createDynamoDbLedger } from './adapters/delivery-ledger';
import { createSecretsCredentials } from './adapters/secrets';
import { createSesEmailSender } from './adapters/ses-email';
import { createSlackSender, createSlackWebClient } from './adapters/slack-post';
import type { Summary } from './core/types';
import { type HandlerConfig, readEnv } from './env';
import { ReportError, SlackDeliveryError } from './errors';
import type { SlackSender } from './ports';
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

export interface HandlerResult {
  readonly window: { readonly from: string; readonly to: string };
  readonly complete: boolean;
  readonly totalToolCalls: number;
  readonly anomalies: number;
  readonly channels: ReadonlyArray<{ readonly channel: ChannelName; readonly outcome: ChannelOutcome }>;
  readonly summary: Summary;
}

export type ReportHandler = (
  event: ReportEvent | null | undefined,
  context?: Partial<Context>,
) => Promise<HandlerResult>;

export interface HandlerOptions {
  /** @default a Powertools Logger with service name `ai-activity-audit` */
  readonly logger?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** Time kept free before the Lambda timeout for recording outcomes and logging. @default 10000 */
  readonly safetyMarginMs?: number;
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

  let deps: Promise<ReportDeps> | undefined;
  const buildDeps = async (): Promise<ReportDeps> => {
    const creds = await credentials.load();
    const source = createDatadogAuditSource({
      apiKey: creds.ddApiKey,
      appKey: creds.ddAppKey,
      site: config.datadog.site,
      ...(config.datadog.apiUrl ? { baseUrl: config.datadog.apiUrl } : {}),
      logger: log,
    });
    let slack: ReportDeps['slack'];
    if (config.slack) {
      slack = { channel: config.slack.channel, sender: slackSender(creds.slackBotToken, config.slack.apiUrl) };
    }
    return {
      source,
      ledger,
      ...(email ? { email } : {}),
      ...(slack ? { slack } : {}),
      settings: {
        org: config.org,
        timezone: config.timezone,
        site: config.datadog.site,
        windowDays: config.windowDays,
        baselineDays: config.baselineDays,
        thresholds: config.thresholds,
        suppress: config.suppress,
      },
      logger: log,
      now,
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
      client: createSlackWebClient(token, apiUrl ? { slackApiUrl: apiUrl } : {}),
      logger: log,
      now,
    });
  };

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Context);
    const started = now();
    try {
      const end = windowEnd(event, now);
      const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
      const deadline = started + Math.max(remaining - safetyMarginMs, remaining / 2);
      logger.info('report_start', {
        end: end.toISOString(),
        scheduled: typeof event?.scheduledTime === 'string',
        remainingMs: remaining,
      });
      deps ??= buildDeps().catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      const result = await runReport(await deps, { end, deadline });
      await options.onResult?.(result);
      logger.info('report_succeeded', { durationMs: now() - started });
      return {
        window: result.summary.window,
        complete: result.summary.complete,
        totalToolCalls: result.summary.total_tool_calls,
        anomalies: result.summary.anomalies.length,
        channels: result.channels.map((c) => ({ channel: c.channel, outcome: c.outcome })),
        summary: result.summary,
      };
    } catch (error) {
      logger.error('report_failed', { durationMs: now() - started, error: error as Error });
      throw error;
    }
  };
}

/** The window end: the schedule's `scheduledTime`, or now when the event carries none. */
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
