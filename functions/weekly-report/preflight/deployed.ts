/**
 * The preflight as the deployed function runs it, for `{"check": true}`: the same checks as
 * `report doctor`, with the function's own role, network and configuration, so what passes here
 * is what the schedule's run will meet. It sends nothing, writes no ledger item and publishes no
 * metric. Each check is logged as one line; the invocation returns the results when none failed,
 * and fails otherwise (PreflightFailedError, its message one line per check), so `aws lambda
 * invoke` shows the failure and what to fix. Loaded by the handler only when asked for.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { HandlerConfig } from '../config/env';
import { ReportError } from '../errors';
import type { Logger } from '../ports';
import type { AwsClients } from '../wiring';
import { type CheckResult, formatResult, formatTally, tally } from './check';
import { secretCredentials } from './credentials';
import { runPreflight } from './plan';

/** Time kept free before the Lambda timeout for logging and returning the results. */
const SAFETY_MARGIN_MS = 5_000;
/** The checks never take longer than this, however long the function may run. */
const MAX_CHECK_MS = 60_000;

/** What `{"check": true}` returns when every check passed or was skipped. */
export interface PreflightResult {
  readonly check: true;
  /** `12 checks: 11 ok, 1 skipped, 0 failed`. */
  readonly summary: string;
  readonly checks: readonly CheckResult[];
}

/** At least one check failed; the message has one line per check, failures first. */
export class PreflightFailedError extends ReportError {
  constructor(readonly results: readonly CheckResult[]) {
    const failed = results.filter((r) => r.status === 'fail');
    const rest = results.filter((r) => r.status !== 'fail');
    super(
      `Preflight: ${failed.length} of ${results.length} checks failed\n${[...failed, ...rest].map(formatResult).join('\n')}`,
    );
    this.name = 'PreflightFailedError';
  }
}

export interface DeployedPreflightDeps {
  readonly config: HandlerConfig;
  readonly aws: AwsClients;
  readonly logger: Logger;
  readonly now: () => number;
}

export async function runDeployedPreflight(deps: DeployedPreflightDeps, remainingMs: number): Promise<PreflightResult> {
  const { config, aws, logger, now } = deps;
  const started = now();
  const deadline = started + Math.max(1_000, Math.min(MAX_CHECK_MS, remainingMs - SAFETY_MARGIN_MS));
  const sesv2 = new SESv2Client({});
  try {
    const results = await runPreflight(
      {
        reports: config.reports,
        ...(config.archiveBucket ? { archiveBucket: config.archiveBucket } : {}),
        credentials: (secretId) => secretCredentials(aws.secrets, secretId),
        aws: { ses: aws.ses, sesv2, ...(aws.s3 ? { s3: aws.s3 } : {}) },
        datadog: { logger },
        slack: { logger },
        now,
      },
      deadline,
    );
    for (const r of results) {
      const line = { check: r.name, target: r.target, status: r.status, detail: r.detail, fix: r.fix, ms: r.ms };
      if (r.status === 'fail') logger.error('preflight_check', line);
      else logger.info('preflight_check', line);
    }
    const counts = tally(results);
    logger.info('preflight_done', { ...counts, durationMs: now() - started });
    if (counts.fail > 0) throw new PreflightFailedError(results);
    return { check: true, summary: formatTally(results), checks: results };
  } finally {
    sesv2.destroy();
  }
}
