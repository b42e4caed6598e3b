/**
 * The Lambda handler and composition root. On the first invocation of an execution environment
 * (cold start) it reads the configuration (config/env.ts: every problem named at once), builds the
 * logger, the metrics and the AWS clients once (endpoints from the SDK's standard
 * AWS_ENDPOINT_URL_* variables), and wires the reports to their adapters (wiring.ts). Each
 * invocation is run by run/invocation.ts within the time Lambda gives it. It returns a small
 * result per report (window, completeness, counts, channel outcomes), never a summary.
 * `{"check": true}` runs the preflight instead (preflight/deployed.ts), which sends nothing.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import type { Context } from 'aws-lambda';
import { type HandlerConfig, readEnv } from './config/env';
import { toError } from './errors';
import type { Logger } from './ports';
import type { PreflightResult } from './preflight/deployed';
import { isPreflightEvent, type PreflightEvent } from './preflight/event';
import { redact, redactValue } from './redact';
import { DEFAULT_REMAINING_MS } from './run/budget';
import { type InvocationResult, type ReportEvent, runInvocation } from './run/invocation';
import { METRIC_NAMESPACE, type MetricsSink } from './run/metrics';
import type { RunResult } from './run/results';
import { createLedger, createWiring } from './wiring';

export type { PreflightResult } from './preflight/deployed';
export type { PreflightEvent } from './preflight/event';
export type { ReportEvent } from './run/invocation';
export type HandlerResult = InvocationResult;
/** A report run for a schedule's event; the preflight's results for `{"check": true}`. */
export interface ReportHandler {
  (event: PreflightEvent, context?: Partial<Context>): Promise<PreflightResult>;
  (event: ReportEvent | null | undefined, context?: Partial<Context>): Promise<HandlerResult>;
}
type AnyEvent = ReportEvent | PreflightEvent | null | undefined;
type AnyResult = Promise<HandlerResult | PreflightResult>;

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
  /** Called with each report's full result once it is delivered (`npm start` writes `out/` from it). */
  readonly onResult?: (result: RunResult, report: string) => void | Promise<void>;
}

/**
 * Builds a handler: reads `env` now (throws ConfigError naming every bad variable or report key)
 * and creates the clients; each org's secret is read on its first invocation. One call = one cold start.
 */
export function createHandler(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: HandlerOptions = {},
): ReportHandler {
  const powertools = options.logger ?? new PowertoolsLogger({ serviceName: 'ai-activity-audit' });
  const logger = narrowLogger(powertools);
  const now = options.now ?? Date.now;
  const config = readConfig(env, logger, now());
  const wiringOptions = {
    // One client per AWS service; throttling of SES is retried by the SDK (5 attempts ride out a short burst).
    aws: {
      secrets: new SecretsManagerClient({}),
      dynamodb: new DynamoDBClient({}),
      ses: new SESClient({ maxAttempts: 5 }),
      // Path-style addressing for a local stand-in (s3rver); virtual-hosted style against AWS.
      ...(config.archiveBucket ? { s3: new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }) } : {}),
      // The archive's MAC key is used through KMS (GenerateMac, VerifyMac); its endpoint from AWS_ENDPOINT_URL_KMS.
      ...(config.archiveMacKey ? { kms: new KMSClient({}) } : {}),
    },
    idempotencyTable: config.idempotencyTable,
    ...(config.archiveBucket ? { archiveBucket: config.archiveBucket } : {}),
    ...(config.archiveMacKey ? { archiveMacKey: config.archiveMacKey } : {}),
    logger,
    now,
  };
  const deps = {
    reports: config.reports,
    wiring: createWiring(wiringOptions),
    ledger: createLedger(wiringOptions),
    logger,
    metrics: options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'ai-activity-audit' }),
    now,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.safetyMarginMs !== undefined ? { safetyMarginMs: options.safetyMarginMs } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  };
  const handle = async (event: AnyEvent, context?: Partial<Context>): AnyResult => {
    if (context?.awsRequestId) powertools.addContext(context as Context);
    const remainingMs = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
    // The preflight sends nothing and is loaded only when asked for (it adds the SES v2 client).
    const result = isPreflightEvent(event)
      ? await import('./preflight/deployed').then((preflight) =>
          preflight.runDeployedPreflight({ config, aws: wiringOptions.aws, logger, now }, remainingMs),
        )
      : await runInvocation(deps, event, remainingMs);
    // What the invocation returns leaves the process (the caller, the async destination): masked.
    return redactValue(result);
  };
  return handle as ReportHandler;
}

/** The configuration, or a ConfigError (logged) naming every problem. */
function readConfig(env: Readonly<Record<string, string | undefined>>, logger: Logger, now: number): HandlerConfig {
  try {
    const config = readEnv(env, now);
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
      // Unsigned, the archive's weeks are neither sealed nor verified (docs/archive.md).
      archiveSigned: config.archiveMacKey !== undefined,
      customDatadogUrl: config.reports.some((r) => r.datadogApiUrl !== undefined),
    });
    return config;
  } catch (error) {
    logger.error('config_invalid', { error: toError(error).message });
    throw error;
  }
}

/**
 * The job's logger over Powertools (whose variadic signature does not fit an optional argument).
 * Every line passes the redaction point (redact.ts) on its way out: a secret copied into any
 * message or field of any adapter's line is masked here, whoever wrote it.
 */
function narrowLogger(logger: PowertoolsLogger): Logger {
  return {
    info: (message, extra) => (extra ? logger.info(redact(message), redactValue(extra)) : logger.info(redact(message))),
    warn: (message, extra) => (extra ? logger.warn(redact(message), redactValue(extra)) : logger.warn(redact(message))),
    error: (message, extra) =>
      extra ? logger.error(redact(message), redactValue(extra)) : logger.error(redact(message)),
  };
}

let deployed: ReportHandler | undefined;

/**
 * The deployed entry point. The first invocation of an execution environment builds the handler
 * from process.env (a bad variable fails that invocation with a ConfigError naming it, and every
 * one after it until the configuration is fixed); later ones reuse it.
 */
export const handler = (async (event: AnyEvent, context?: Partial<Context>) => {
  deployed ??= createHandler(process.env);
  return (deployed as (event: AnyEvent, context?: Partial<Context>) => AnyResult)(event, context);
}) as ReportHandler;
