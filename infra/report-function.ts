/**
 * The report Lambda function with our defaults: nodejs24.x on arm64, bundled locally by esbuild
 * (no Docker), an explicit log group with retention, JSON logs, and a role that starts with only
 * the right to write to that log group. REPORT_BUNDLING is shared with bench/bundle.ts so the
 * measured bundle is the deployed one.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { METRIC_NAMESPACE } from '../functions/weekly-report/run/metrics';
import { writeBundledFilesCommands } from './bundled-files';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Powertools service name: the `service` key of every log line and the dimension of every metric. */
export const SERVICE_NAME = 'ai-activity-audit';
export const HANDLER_ENTRY = path.join(PROJECT_ROOT, 'functions/weekly-report/handler.ts');

/**
 * esbuild settings of the deployed bundle; `npx tsx bench/bundle.ts` measures each choice side by
 * side (figures below from one run on the 2-core dev machine):
 * - `target: 'node20'`: the same code runs on the local Node 20 and on the nodejs24.x runtime.
 * - `externalModules: ['typescript']` only. `typescript` is a guard: mjml, if it is ever imported
 *   at run time, reaches it through a code path we never take (it would double the bundle); the
 *   templates are compiled at build time today, so neither is in the bundle. The AWS SDK v3 clients
 *   are bundled on purpose (replacing CDK's default `@aws-sdk/*` external): we run the versions we
 *   pinned and tested, not whatever the runtime ships. Cost: 5.0 vs 4.4 MiB, and no slower to load
 *   (411 vs 490 ms require, within noise).
 * - `minify`: 5.0 MiB instead of 11.5 MiB and 411 vs 574 ms require.
 * - `sourceMap` (a separate file, without `sourcesContent`) and NODE_OPTIONS=--enable-source-maps:
 *   stack traces in the logs point at our TypeScript. It costs ~150 ms and ~20 MiB per cold start,
 *   once a week; a failure we can read is worth more.
 */
export const REPORT_BUNDLING = {
  target: 'node20',
  format: OutputFormat.CJS,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: ['typescript'],
  forceDockerBundling: false,
  logLevel: LogLevel.WARNING,
} as const satisfies BundlingOptions;

/** The esbuild options NodejsFunction derives from REPORT_BUNDLING, for benchmarks and checks. */
export function reportBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: REPORT_BUNDLING.target,
    format: REPORT_BUNDLING.format,
    minify: REPORT_BUNDLING.minify,
    sourcemap: REPORT_BUNDLING.sourceMap,
    sourcesContent: REPORT_BUNDLING.sourcesContent,
    external: [...REPORT_BUNDLING.externalModules],
    logLevel: 'warning',
  };
}

export interface ReportFunctionProps {
  /** The configuration's environment variables (never secrets). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default functions/weekly-report/handler.ts */
  readonly entry?: string;
  /**
   * Files written into the bundle next to the handler, by name (the reports document). Written by
   * the afterBundling hook, so they count in the asset hash: a changed file redeploys the code.
   * @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /**
   * Memory and, with it, CPU (Lambda gives a full vCPU at 1769 MB). Measured (bench/bundle.ts): the
   * loaded bundle takes ~170 MiB RSS, and a busy week (60k events plus 240k baseline events, pages
   * of 1000 parsed from JSON) peaks at ~100 MiB in the streaming aggregates, so 512 MB would hold
   * it; 1024 MB is for CPU: aggregating those 300k events takes ~6-9 s of one local core, which
   * 1024 MB (~0.6 vCPU) keeps well inside the timeout. One run a week makes the price negligible.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * 5 minutes. A busy week is ~300 pages of 1000 events (60k in the window, ~240k in a 28-day
   * baseline); the Datadog source fetches 16 time slices 8 at a time, so at ~1 s per page that is
   * under a minute, plus capped rate-limit waits, CPU for 300k events, and delivery retries. The
   * handler stops fetching before the deadline (it marks the report incomplete rather than time
   * out), a timeout is retried by Lambda, and delivery is idempotent per channel.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer managed key for the log group (its key policy must allow the CloudWatch Logs service
   * principal of the region). @default CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /** Async invocation: where an event goes once Lambda's own retries are spent. */
  readonly onFailure?: lambda.IDestination;
  /** Async invocation retries (Lambda waits 1 then 2 minutes between them). @default 2 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly maxEventAge?: Duration;
}

/** The report function, its log group, and its role (which grants only log writes until the stack adds more). */
export class ReportFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReportFunctionProps) {
    super(scope, id);
    // An explicit log group: retention without the LogRetention custom resource, and the role
    // gets a write grant on this one group instead of AWSLambdaBasicExecutionRole's logs:* on `*`.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      ...(props.logEncryptionKey ? { encryptionKey: props.logEncryptionKey } : {}),
      // Kept on `cdk destroy`: it is the record of which reports went out.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'AI Activity Audit weekly report function',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      description: 'AI Activity Audit: weekly report of Datadog MCP server activity',
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: props.bundledFiles
        ? {
            ...REPORT_BUNDLING,
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir: string, outputDir: string) =>
                writeBundledFilesCommands(outputDir, props.bundledFiles ?? {}),
            },
          }
        : REPORT_BUNDLING,
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      // The function never invokes itself; stop any accidental loop rather than pay for it.
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    });
  }
}
