/**
 * The report Lambda function with our defaults: nodejs24.x on arm64, bundled locally by esbuild
 * with the slim Datadog client (scripts/lib/function-bundle.cjs; no Docker, no network), an
 * explicit log group with retention, JSON logs, and a role that starts with only the right to write
 * to that log group.
 *
 * Not a NodejsFunction: it runs esbuild without plugins, and the slim client is two esbuild
 * plugins (scripts/lib/slim-datadog-client.cjs) that take the bundle from 5.4 to 1.3 MiB and its
 * cold `require` from over a second to a fraction of one (bench/bundle.ts measures both). The
 * bundle is a Code asset with local bundling that runs the same build bench/bundle.ts measures
 * and the built-bundle test runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Duration, type ILocalBundling, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions, BuildResult } from 'esbuild';
import { METRIC_NAMESPACE } from '../functions/weekly-report/run/metrics';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Powertools service name: the `service` key of every log line and the dimension of every metric. */
export const SERVICE_NAME = 'ai-activity-audit';
/** The script that builds the bundle; run as a child process by the local bundling. */
export const FUNCTION_BUNDLE_SCRIPT = path.join(PROJECT_ROOT, 'scripts/lib/function-bundle.cjs');

/** What scripts/lib/function-bundle.cjs exports (plain CommonJS, so typed here). */
export interface FunctionBundleModule {
  /** functions/weekly-report/handler.ts */
  readonly HANDLER_ENTRY: string;
  /** `index.js`: the function's handler is `index.handler`. */
  readonly BUNDLE_FILE: string;
  /** The deployed bundle's esbuild options (the plugins aside). */
  readonly FUNCTION_BUILD_OPTIONS: Readonly<BuildOptions>;
  /** Builds `outdir/index.js` and its source map; `slimClient: false` leaves the Datadog client whole (the bench's "before"). */
  buildFunction(options: {
    readonly entry?: string;
    readonly outdir: string;
    readonly slimClient?: boolean;
    readonly overrides?: BuildOptions;
  }): Promise<BuildResult & { metafile: NonNullable<BuildResult['metafile']> }>;
}
export const functionBundle = require(FUNCTION_BUNDLE_SCRIPT) as FunctionBundleModule;
export const HANDLER_ENTRY = functionBundle.HANDLER_ENTRY;

/**
 * Builds the bundle of `entry` into `outputDir` (the asset's staging directory) and writes `files`
 * beside it, synchronously, as CDK's local bundling must: esbuild's plugins need its asynchronous
 * API, so the build runs in a child process (esbuild prints its own errors there).
 * @throws Error when a file name is not a plain name or the build fails; never falls back to Docker
 */
export function bundleReportFunction(
  entry: string,
  outputDir: string,
  files: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(files)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === functionBundle.BUNDLE_FILE || name.startsWith('.')) {
      throw new Error(`bundled file name ${JSON.stringify(name)} is not a plain name beside the bundle`);
    }
  }
  const child = spawnSync(process.execPath, [FUNCTION_BUNDLE_SCRIPT, entry, outputDir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (child.error !== undefined || child.status !== 0) {
    throw new Error(
      `bundling the report function failed (${child.error?.message ?? `exit ${child.status ?? child.signal}`}); esbuild's messages are above. Run \`node scripts/lib/function-bundle.cjs ${path.relative(PROJECT_ROOT, entry)} /tmp/bundle\` to see them alone.`,
    );
  }
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(outputDir, name), content);
}

/**
 * The local bundling of the function's code. Its data properties are what CDK's asset cache keys
 * on (it drops functions): two functions of one app with different files get their own bundles.
 */
class ReportFunctionBundling implements ILocalBundling {
  /** SHA-256 of the bundled files, for the cache key; the files themselves stay out of it. */
  readonly filesSha256: string;

  constructor(
    readonly entry: string,
    private readonly files: Readonly<Record<string, string>>,
  ) {
    this.filesSha256 = createHash('sha256')
      .update(JSON.stringify(Object.entries(files).sort()))
      .digest('hex');
    Object.defineProperty(this, 'files', { enumerable: false });
  }

  tryBundle(outputDir: string): boolean {
    bundleReportFunction(this.entry, outputDir, this.files);
    return true;
  }
}

/**
 * The function's code: a Code asset whose local bundling is bundleReportFunction. Hashed by its
 * output (the bundle and the files), so a changed source or report redeploys the code and nothing
 * else does; with bundling skipped (`cdk synth --exclusively`, the stack tests) nothing is built.
 */
export function reportFunctionCode(entry: string, files: Readonly<Record<string, string>> = {}): lambda.Code {
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type; never used, because the local bundling either builds or throws.
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      local: new ReportFunctionBundling(entry, files),
    },
  });
}

export interface ReportFunctionProps {
  /** The configuration's environment variables (never secrets). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default functions/weekly-report/handler.ts */
  readonly entry?: string;
  /**
   * Files written into the bundle next to the handler, by name (the reports document). Written
   * into the bundle's directory before it is hashed: a changed file redeploys the code.
   * @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /**
   * Memory and, with it, CPU (Lambda gives a full vCPU at 1769 MB). Measured (bench/bundle.ts): the
   * loaded bundle takes ~90 MiB RSS (~180 with the whole Datadog client), and a busy week (60k
   * events plus 240k baseline events, pages of 1000 parsed from JSON) peaks at ~100 MiB in the
   * streaming aggregates, so 512 MB would hold it; 1024 MB is for CPU: aggregating those 300k
   * events takes ~6-9 s of one local core, which 1024 MB (~0.6 vCPU) keeps well inside the
   * timeout. One run a week makes the price negligible.
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
  readonly function: lambda.Function;
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

    this.function = new lambda.Function(this, 'Function', {
      code: reportFunctionCode(props.entry ?? HANDLER_ENTRY, props.bundledFiles ?? {}),
      handler: 'index.handler',
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
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      // The function never invokes itself; stop any accidental loop rather than pay for it.
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    });
  }
}
