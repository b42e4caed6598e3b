/**
 * The whole job on embedded local stand-ins, as `npm start` and the end-to-end test run it: a
 * Datadog emulator holding a generated week and its history (audit events, their MCP usage metric,
 * the people's Teams), aws-ses-v2-local, dynalite, s3rver, a Secrets Manager stand-in and a Slack
 * emulator on free loopback ports, and a KMS stand-in whose HMAC key seals the archive's weeks
 * (ARCHIVE_MAC_KEY, as the stack sets it); then the real Lambda handler with scheduled-time events, where
 * only the endpoints differ from a deployed function. It runs two reports of the generated org,
 * as a deployment with a `reports` list would: the org-wide one for security (email, Slack and a
 * Microsoft Teams channel, through a Teams workflow webhook stand-in)
 * and one scoped to the `sre` team (its own Slack channel), from one fetch. Before the runs it
 * invokes the function with `{"check": true}`, the preflight `report doctor` also runs, against
 * the same stand-ins (SES answers identity and account questions through ses-account-emulator.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addLocalDays, reportWindow } from '../../functions/weekly-report/core/windows';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import { type CheckResult, formatTally } from '../../functions/weekly-report/preflight/check';
import { PreflightFailedError } from '../../functions/weekly-report/preflight/deployed';
import type { MetricsSink } from '../../functions/weekly-report/run/metrics';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { awsEnv, type SentEmail, startAwsEmulators, startS3Emulator } from '../../test/support/aws-emulators';
import { startDatadogEmulator } from '../../test/support/datadog-emulator';
import { generateScenario, type RawAuditEvent } from '../../test/support/generator';
import { startKmsEmulator } from '../../test/support/kms-emulator';
import { startSecretsManagerEmulator } from '../../test/support/secrets-manager-emulator';
import { startSesAccountEmulator } from '../../test/support/ses-account-emulator';
import { type SlackPostedMessage, startSlackEmulator } from '../../test/support/slack-emulator';
import { startTeamsWebhookEmulator, type TeamsPost } from '../../test/support/teams-webhook-emulator';

export const LOCAL_CHANNEL = 'C0AIAUDIT01';
/** The SRE team's channel, where its scoped report goes. */
export const SRE_CHANNEL = 'C0AIAUDSRE1';
/** The security report's Microsoft Teams channel: its name in the report and in the secret's teamsWebhooks. */
export const TEAMS_CHANNEL = 'security';

const SECRET_ID = 'ai-activity-audit/credentials';
const SLACK_TOKEN = 'xoxb-local-demo-token';
/** Keys in the form the function checks for (adapters/secrets.ts: 32 and 40 hexadecimal characters). */
const DD_API_KEY = '10ca1de70000000000000000000000a1';
const DD_APP_KEY = '10ca1de700000000000000000000000000000a99';

export interface LocalRunOptions {
  /** The schedule's scheduled time: the report window ends here. */
  readonly scheduledTime: Date;
  readonly seed?: number;
  readonly recipients?: readonly string[];
  /** Progress lines (one per stage). */
  readonly progress?: (line: string) => void;
  /**
   * Events added to the generated week, given its window (epoch ms, `[from, to)`): a busy week
   * (the browser check's, test/browser/email-browser.ts) is the usual one plus these.
   */
  readonly extraWindowEvents?: (window: { readonly from: number; readonly to: number }) => readonly RawAuditEvent[];
}

export interface LocalRun {
  readonly result: HandlerResult;
  /** The org-wide report's run. */
  readonly run: RunResult;
  /** Every report's run, by report name (the org-wide `security` and the `sre` team's). */
  readonly runs: ReadonlyMap<string, RunResult>;
  readonly emails: SentEmail[];
  readonly slackMessages: readonly SlackPostedMessage[];
  /** The cards the Teams workflow webhook stand-in took this week (each with what adaptivecards found wrong: nothing). */
  readonly teamsPosts: readonly TeamsPost[];
  /** The SES emulator's web view of received mail. */
  readonly sesUrl: string;
  /** The preflight's results (`{"check": true}` before the runs), one line each with formatResult. */
  readonly checks: readonly CheckResult[];
  close(): Promise<void>;
}

/** The most recent Monday 09:00 UTC at or before `now`: the default schedule's last firing. */
export function lastScheduledTime(now: number): Date {
  const d = new Date(now);
  d.setUTCHours(9, 0, 0, 0);
  while (d.getUTCDay() !== 1 || d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1);
  return d;
}

export async function runLocalJob(options: LocalRunOptions): Promise<LocalRun> {
  const progress = options.progress ?? (() => {});
  const started = Date.now();
  // On Node 20 the AWS SDK prints a notice about its Node 22 requirement from 2027 at the first
  // client (the emulators create some); it says nothing about this run, so keep it off the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The generated week is the report's calendar week (UTC): the 7 days before the day the run fires.
  // Its 56 days of history are the baselines of this week and of the four weeks before it, which
  // run first, in order, so the report archive holds a history when this week's report is made.
  const window = reportWindow(options.scheduledTime.getTime(), 'UTC', 7, 'calendar');
  const scenario = generateScenario({ seed: options.seed ?? 2026, end: new Date(window.to), baselineDays: 56 });
  // Its Teams API serves the scenario's teams (sre, platform, data), for reports scoped to teams.
  const extra = options.extraWindowEvents?.(window) ?? [];
  const datadog = await startDatadogEmulator({
    events: [...scenario.baseline, ...scenario.window, ...extra],
    teams: scenario.teams,
    apiKey: DD_API_KEY,
    appKey: DD_APP_KEY,
  });
  const aws = await startAwsEmulators();
  // SES as a new account with production access and the example.com domain verified.
  const sesAccount = await startSesAccountEmulator(aws.ses.url, { identities: { 'example.com': 'Success' } });
  const s3 = await startS3Emulator();
  // The archive's MAC key: the stand-in keeps its secret, as KMS does.
  const kms = await startKmsEmulator();
  const slack = await startSlackEmulator({ token: SLACK_TOKEN, channels: [LOCAL_CHANNEL, SRE_CHANNEL] });
  // The security channel's Teams workflow (its 429s, size limit and lost answers are the tests').
  const msTeams = await startTeamsWebhookEmulator();
  const teamsWebhook = msTeams.workflowUrl();
  const secrets = await startSecretsManagerEmulator({
    [SECRET_ID]: JSON.stringify({
      ddApiKey: datadog.apiKey,
      ddAppKey: datadog.appKey,
      slackBotToken: SLACK_TOKEN,
      // The workflow's URL is a credential: it lives in the secret, never in the reports file.
      teamsWebhooks: { [TEAMS_CHANNEL]: teamsWebhook },
    }),
  });
  // The reports file the stack would bundle, in a folder of its own that close() removes.
  const tempDir = mkdtempSync(join(tmpdir(), 'ai-activity-audit-'));
  const close = async (): Promise<void> => {
    try {
      await Promise.all([
        datadog.close(),
        aws.close(),
        sesAccount.close(),
        s3.close(),
        kms.close(),
        slack.close(),
        msTeams.close(),
        secrets.close(),
      ]);
    } finally {
      rmSync(tempDir, { recursive: true, force: true });
    }
  };
  progress(
    `start: Datadog emulator (${scenario.window.length} events in the week, ${scenario.baseline.length} in the 8 weeks before), ` +
      `SES, DynamoDB, S3 (s3rver), KMS, Secrets Manager, Slack and Teams webhook stand-ins on 127.0.0.1 (${Date.now() - started} ms)`,
  );

  try {
    // The AWS SDK reads its endpoints from the standard variables, exactly as a deployed function would.
    Object.assign(
      process.env,
      awsEnv({ ses: sesAccount.url, dynamo: aws.dynamo.url, secretsManager: secrets.url, s3: s3.url }),
      { AWS_ENDPOINT_URL_SESV2: sesAccount.url, AWS_ENDPOINT_URL_KMS: kms.url },
      // The handler's JSON logs go to stdout; keep the terminal for the report unless asked.
      { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' },
    );
    // What the stack bundles as reports.json for a deployment with these two reports.
    const defaults = {
      orgName: 'Example Org',
      datadogSite: 'datadoghq.com',
      secretName: SECRET_ID,
      timezone: 'UTC',
      window: 'calendar',
      thresholds: {},
      suppress: [],
    };
    const reportsFile = join(tempDir, 'reports.json');
    writeFileSync(
      reportsFile,
      JSON.stringify({
        schema: 1,
        reports: [
          {
            ...defaults,
            name: 'security',
            emailFrom: 'ai-audit@example.com',
            emailTo: options.recipients ?? ['security@example.com', 'platform@example.com'],
            slackChannel: LOCAL_CHANNEL,
            teamsChannel: TEAMS_CHANNEL,
          },
          { ...defaults, name: 'sre', slackChannel: SRE_CHANNEL, scope: { teams: ['sre'] } },
        ],
      }),
    );
    const env = {
      ...process.env,
      REPORTS_FILE: reportsFile,
      DD_API_URL: datadog.url,
      SLACK_API_URL: slack.url,
      IDEMPOTENCY_TABLE: aws.dynamo.tableName,
      ARCHIVE_BUCKET: s3.bucket,
      ARCHIVE_MAC_KEY: kms.keyArn,
    };
    const runs = new Map<string, RunResult>();
    const fetchStart = Date.now();
    const keep = (r: RunResult, report: string): void => {
      runs.set(report, r);
    };
    // The metrics a deployed function would publish, kept for one progress line instead of an EMF
    // JSON line in the middle of the printed report.
    // One batch per report run: the last invocation's are the last batches.
    let batch: Record<string, number> = {};
    const published: Array<Record<string, number>> = [];
    const sink: MetricsSink = {
      addMetric: (name, _unit, value) => {
        batch[name] = value;
      },
      publishStoredMetrics: () => {
        published.push(batch);
        batch = {};
      },
    };
    const handler = createHandler(env, { onResult: keep, metrics: sink });
    const checks = await preflight(() => handler({ check: true }));
    progress(`preflight ({"check": true}): ${formatTally(checks)}`);
    // The four weeks before, as the schedule would have run them: they build the report archive.
    const auditRequests = () => datadog.stats.requests - datadog.stats.metricQueries - datadog.stats.teamRequests;
    const runWeek = async (weeksBack: number) => {
      const before = auditRequests();
      const queriesBefore = datadog.stats.metricQueries;
      const scheduledTime = new Date(
        addLocalDays(options.scheduledTime.getTime(), -7 * weeksBack, 'UTC'),
      ).toISOString();
      const outcome = await handler({ scheduledTime });
      return {
        outcome,
        requests: auditRequests() - before,
        metricQueries: datadog.stats.metricQueries - queriesBefore,
      };
    };
    let first: Awaited<ReturnType<typeof runWeek>> | undefined;
    for (let weeksBack = 4; weeksBack >= 1; weeksBack--) {
      const week = await runWeek(weeksBack);
      first ??= week;
    }
    // Those weeks were delivered too; clear the stand-ins so out/ and the web view show this week.
    await aws.ses.clear();
    slack.reset();
    const teamsBefore = msTeams.posts.length;
    const fifth = await runWeek(0);
    const result = fifth.outcome;
    const run = runs.get('security');
    const team = runs.get('sre');
    if (!run || !team) throw new Error('the handler returned without both reports');
    const summary = run.summary;
    const sources = summary.baseline?.sources;
    progress(
      `history: 5 weekly runs into the report archive (s3://${s3.bucket}); this week's baseline took ` +
        `${sources?.archive_days ?? 0} of ${(sources?.archive_days ?? 0) + (sources?.fetched_days ?? 0)} days from the archive, ` +
        `and this week's run made ${fifth.requests} Datadog audit requests against ${first?.requests ?? 0} for the first week (no archive yet)`,
    );
    progress(
      `seal: every archived week sealed by a manifest MACed with the archive's KMS HMAC key and chained to the week before ` +
        `(${kms.calls.GenerateMac ?? 0} GenerateMac, ${kms.calls.VerifyMac ?? 0} VerifyMac calls over the 5 runs)`,
    );
    progress(
      `fetch: ${summary.total_tool_calls} events in the window, ${summary.baseline?.events ?? 0} in the baseline` +
        `${summary.complete ? '' : ' (INCOMPLETE)'}, one fetch for both reports`,
    );
    progress(
      `reports: security (the whole org) ${summary.total_tool_calls} calls by ${summary.unique_users} people, ` +
        `${summary.anomalies.length} anomalies; sre (${team.summary.scope?.label ?? 'team sre'}) ` +
        `${team.summary.total_tool_calls} calls by ${team.summary.unique_users} people, ${team.summary.anomalies.length} anomalies`,
    );
    const usage = summary.tool_usage;
    progress(
      usage?.status === 'ok'
        ? `metric: ${summary.tools?.length ?? 0} tools and ${summary.clients?.length ?? 0} MCP clients from datadog.mcp.tool.usage ` +
            `(${fifth.metricQueries} queries), new_client ${summary.anomaly_counts.new_client ?? 'not evaluated'}`
        : `metric: tools and clients not shown (${usage?.reason ?? 'not read'})`,
    );
    const groups = summary.anomaly_groups ?? [];
    progress(
      `render: email ${(Buffer.byteLength(run.report.html) / 1024).toFixed(1)} KB HTML + text, ` +
        `Slack post ${run.report.slack.post.blocks.length} blocks + thread reply ${run.report.slack.thread.reduce((n, m) => n + m.blocks.length, 0)} blocks, ` +
        `Teams card ${(Buffer.byteLength(JSON.stringify(run.report.teams)) / 1024).toFixed(1)} KB; ` +
        `${summary.anomalies.length} anomalies in ${groups.length} groups (${groups.filter((g) => g.status === 'recurring').length} recurring, ${summary.resolved_groups?.length ?? 0} resolved)`,
    );
    const teamsPosts = msTeams.posts.slice(teamsBefore);
    progress(
      `teams: the workflow webhook stand-in answered ${msTeams.answers.join(', ')} over the 5 weeks; ` +
        `this week's card ${teamsPosts.every((p) => p.problems.length === 0) ? 'parses in adaptivecards with no warning' : `has problems: ${teamsPosts.flatMap((p) => p.problems).join('; ')}`}`,
    );
    const emails = await aws.ses.emails();
    for (const r of result.reports) {
      progress(`deliver ${r.report}: ${r.channels.map((c) => `${c.channel} ${c.outcome}`).join(', ')}`);
    }
    const lastBatches = published.slice(-result.reports.length);
    result.reports.forEach((r, i) => {
      const metrics = Object.entries(lastBatches[i] ?? {}).map(([name, value]) => `${name} ${value}`);
      progress(`metrics ${r.report}: ${metrics.join(', ')}`);
    });
    progress(`done in ${((Date.now() - fetchStart) / 1000).toFixed(1)} s`);
    return {
      result,
      run,
      runs,
      emails,
      slackMessages: slack.messages,
      teamsPosts,
      sesUrl: aws.ses.url,
      checks,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The preflight's results, whether it passed (its return) or failed (its error); the run goes on either way. */
async function preflight(check: () => Promise<{ readonly checks: readonly CheckResult[] }>): Promise<CheckResult[]> {
  try {
    return [...(await check()).checks];
  } catch (error) {
    if (error instanceof PreflightFailedError) return [...error.results];
    throw error;
  }
}
