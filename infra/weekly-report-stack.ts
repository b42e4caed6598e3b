/**
 * The weekly report stack: EventBridge Scheduler schedules (cron + IANA zone, one per group of
 * reports of the same org, schedule and window) invoke the report function with their scheduled
 * time and the names of their reports, which the function reads from the reports document bundled
 * beside its code; failures land in one encrypted DLQ; alarms on function errors, DLQ depth and
 * the job's own metrics go to an encrypted SNS topic that only this stack's alarms may publish to.
 * Grants are scoped to the secrets, sender identities, configuration sets and table the function uses.
 */
import {
  Arn,
  ArnFormat,
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { MANIFEST_FILE } from '../functions/weekly-report/archive/manifest';
import { ARCHIVE_FILES, ARCHIVE_ROOT } from '../functions/weekly-report/archive/report-archive';
import type { ReportDefinition, ReportsDocument } from '../functions/weekly-report/config/report-definitions';
import { METRIC_NAMESPACE, METRICS } from '../functions/weekly-report/run/metrics';
import { REPORTS_FILE_NAME, type StackConfig } from './config';
import { denyGrantsExceptForAwsServices } from './kms-grants';
import { ReportArchiveBucket } from './report-archive';
import { ReportFunction, SERVICE_NAME } from './report-function';

export interface WeeklyReportStackProps extends StackProps {
  /** Validated context (parseStackConfig). */
  readonly config: StackConfig;
  /** Handler file to bundle. @default functions/weekly-report/handler.ts */
  readonly entry?: string;
}

/** A schedule and the reports its invocations send. */
export interface ReportSchedule {
  readonly schedule: scheduler.Schedule;
  readonly reports: readonly string[];
}

/** Reports that one schedule invokes the function for: the same org, schedule and window. */
export interface ScheduleGroup {
  readonly schedule: string;
  readonly timezone: string;
  readonly secretId: string;
  readonly site: string;
  readonly reports: readonly ReportDefinition[];
}

/**
 * Groups reports into schedules: reports with the same secret and site (one Datadog org), the
 * same schedule and time zone (one firing) and the same window mode share one schedule, whose one
 * invocation fetches the org's events once and renders and delivers all of them. Groups come in
 * the order of their first report, so the first report's group keeps the first schedule.
 */
export function groupBySchedule(reports: readonly ReportDefinition[]): ScheduleGroup[] {
  const groups = new Map<string, ScheduleGroup & { readonly reports: ReportDefinition[] }>();
  for (const report of reports) {
    const { schedule, timezone, secretId, site, windowMode } = report;
    const key = JSON.stringify([secretId, site, schedule, timezone, windowMode]);
    const group = groups.get(key);
    if (group !== undefined) group.reports.push(report);
    else groups.set(key, { schedule, timezone, secretId, site, reports: [report] });
  }
  return [...groups.values()];
}

/** EventBridge Scheduler takes a description of at most 512 characters. */
const MAX_SCHEDULE_DESCRIPTION = 512;

/**
 * The construct ids of the groups' schedules, in order: `Schedule` for the first, so the schedule
 * of a stack deployed before the `reports` list stays the same resource; `Schedule` + the
 * PascalCase of its first report's name for the others, so a report added to a group, or a new
 * group added at the end, leaves the other schedules as they are. (Reordering the list can rename
 * one; CloudFormation then replaces it, which loses nothing: a schedule holds no state.) Names
 * that give the same PascalCase (`a-1b`, `a1b`) take a number.
 */
export function scheduleIds(groups: readonly ScheduleGroup[]): string[] {
  const ids: string[] = [];
  for (const group of groups) {
    if (ids.length === 0) {
      ids.push('Schedule');
      continue;
    }
    const pascal = (group.reports[0]?.name ?? '')
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('');
    let id = `Schedule${pascal}`;
    for (let n = 2; ids.includes(id); n++) id = `Schedule${pascal}${n}`;
    ids.push(id);
  }
  return ids;
}

export class WeeklyReportStack extends Stack {
  readonly reportFunction: ReportFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarmTopic: sns.Topic;
  readonly table: dynamodb.Table;
  readonly archive: ReportArchiveBucket;
  /** One per group of reports of the same org, schedule and window; the first is `Schedule`, as before the list. */
  readonly schedules: readonly ReportSchedule[];
  /** The reports document bundled beside the handler, which the function parses at cold start. */
  readonly reportsDocument: ReportsDocument;

  constructor(scope: Construct, id: string, props: WeeklyReportStackProps) {
    super(scope, id, props);
    const { config } = props;

    // One queue for both ways a report can fail to go out: the schedule could not invoke the
    // function, or the function failed after Lambda's async retries. Either needs a human.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the schedule and of the function.',
    });

    // Idempotency ledger: one item per {org}:{window.to}:{channel}, expired by TTL. It holds no
    // data that cannot be rebuilt, so it goes with the stack.
    this.table = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The report archive: what was sent each week, and the history later runs build on.
    this.archive = new ReportArchiveBucket(this, 'ReportArchive', {
      retentionDays: config.archiveRetentionDays,
      ...(config.archiveKmsKeyArn !== undefined ? { kmsKeyArn: config.archiveKmsKeyArn } : {}),
      ...(config.archiveObjectLockDays !== undefined ? { objectLockDays: config.archiveObjectLockDays } : {}),
    });

    // The reports travel as the document synth parsed, in a file of the bundle: the function parses
    // exactly what synth did, and no number of reports outgrows Lambda's 4 KB of environment.
    this.reportsDocument = config.reportsDocument;
    this.reportFunction = new ReportFunction(this, 'WeeklyReport', {
      ...(props.entry !== undefined ? { entry: props.entry } : {}),
      bundledFiles: { [REPORTS_FILE_NAME]: JSON.stringify(this.reportsDocument) },
      environment: {
        REPORTS_FILE: REPORTS_FILE_NAME,
        IDEMPOTENCY_TABLE: this.table.tableName,
        ARCHIVE_BUCKET: this.archive.bucket.bucketName,
        // Each archived week is sealed with it (GenerateMac) and checked before it is used (VerifyMac).
        ARCHIVE_MAC_KEY: this.archive.macKey.keyArn,
      },
      onFailure: new SqsDestination(this.deadLetterQueue),
      logRetention: config.logRetentionDays as logs.RetentionDays,
      ...(config.logKmsKeyArn !== undefined
        ? { logEncryptionKey: kms.Key.fromKeyArn(this, 'LogKey', config.logKmsKeyArn) }
        : {}),
    });
    const role = this.reportFunction.role;
    this.grantReportAccess(role, config);
    this.archive.grantReportAccess(role);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.archive.bucket.node.defaultChild as CfnElement)}.Arn>/${ARCHIVE_ROOT}/*]`,
      reason:
        'The archive prefix: the function reads and writes one object per report file under reports/, nothing else.',
    });

    const fn = this.reportFunction.function;
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'AI Activity Audit schedule: invoke the report function, send failures to the DLQ',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: "LambdaInvoke's grant: lambda:InvokeFunction on this one function and its versions/aliases (ARN:*).",
    });
    const groups = groupBySchedule(config.reports);
    const ids = scheduleIds(groups);
    this.schedules = groups.map((group, i) => this.createSchedule(group, ids[i] ?? 'Schedule', schedulerRole));

    this.alarmTopic = this.createAlarms(config);

    // What the README's operating commands need.
    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new CfnOutput(this, 'LogGroupName', { value: this.reportFunction.logGroup.logGroupName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'ArchiveLayout', {
      description: 'Where each weekly report is archived',
      value: `s3://${this.archive.bucket.bucketName}/${ARCHIVE_ROOT}/<report>/<window end, ISO 8601>/{${[...Object.values(ARCHIVE_FILES), MANIFEST_FILE].join(',')}}`,
    });
    new CfnOutput(this, 'ArchiveMacKeyArn', {
      description: 'The KMS HMAC key that seals each archived week: report verify --key <this>',
      value: this.archive.macKey.keyArn,
    });
  }

  /**
   * The schedule of one group: it invokes the function with its scheduled time and the names of
   * the group's reports, which that invocation renders and delivers.
   */
  private createSchedule(group: ScheduleGroup, id: string, role: iam.IRole): ReportSchedule {
    const reports = group.reports.map((r) => r.name);
    const when = `${group.schedule} ${group.timezone}`;
    const schedule = new scheduler.Schedule(this, id, {
      description: describeReports(`AI Activity Audit (${when}):`, reports),
      schedule: scheduler.ScheduleExpression.expression(group.schedule, TimeZone.of(group.timezone)),
      target: new LambdaInvoke(this.reportFunction.function, {
        role,
        // The report window ends at the scheduled time, so a retry reports the same week.
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          reports,
        }),
        deadLetterQueue: this.deadLetterQueue,
        // Scheduler retries only failed invocations (throttling, service errors); the function's
        // own failures are retried by Lambda's async retries (about 1 and 2 minutes later). A run
        // that dies holding a delivery claim leaves it for at most 75 s (run-report.ts), and the
        // retry waits for such a claim to lapse instead of failing, so the first retry delivers.
        retryAttempts: 10,
        maxEventAge: Duration.hours(6),
      }),
    });
    // What an operator needs to see the grouping: which schedule sends which reports.
    new CfnOutput(this, `${id}Reports`, {
      description: `Reports of schedule ${id}: ${when}, secret ${group.secretId} on ${group.site}`,
      value: `${schedule.scheduleName}: ${reports.join(', ')}`,
    });
    return { schedule, reports };
  }

  /** Least privilege: each service's actions on the resources the reports use, never `*`. */
  private grantReportAccess(role: iam.IRole, config: StackConfig): void {
    // The secrets are created outside the stack and referenced by name (or ARN): exactly the ones
    // the reports name, one per org. Secrets Manager appends a random 6-character suffix to secret
    // ARNs, hence the `-??????` after a name or a partial ARN; a complete ARN is used as it is.
    const secretIds = [...new Set(config.reports.map((report) => report.secretId))];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secretIds.map((id, i) => {
          if (id.startsWith('arn:')) return /-[A-Za-z0-9]{6}$/.test(id) ? id : `${id}-??????`;
          const secret = secretsmanager.Secret.fromSecretNameV2(this, numberedId('Credentials', i), id);
          return `${secret.secretArn}-??????`;
        }),
      }),
    );

    // What adapters/delivery-ledger.ts calls: single-item reads, conditional puts, and deletes
    // (releasing a claim after a failed send). No scans, queries or batch operations.
    this.table.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem');

    // SendEmail only (the code never sends raw MIME), and each sender only for itself: one
    // statement per sender, conditioned on that From address, on its identities and the
    // configuration sets of its reports.
    const senders = new Map<string, Set<string>>();
    for (const { email } of config.reports) {
      if (email === undefined) continue;
      const sets = senders.get(email.from) ?? new Set<string>();
      if (email.configurationSet !== undefined) sets.add(email.configurationSet);
      senders.set(email.from, sets);
    }
    [...senders].forEach(([emailFrom, configurationSets], i) => {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: numberedId('SendReportEmail', i),
          actions: ['ses:SendEmail'],
          resources: this.sesResources(emailFrom, [...configurationSets]),
          conditions: { StringEquals: { 'ses:FromAddress': emailFrom } },
        }),
      );
    });
  }

  /**
   * SES authorizes a send against the identity that verified the From address (the address
   * itself, or its domain when the domain is verified instead) and the configuration set.
   */
  private sesResources(emailFrom: string, configurationSets: readonly string[]): string[] {
    const domain = emailFrom.slice(emailFrom.lastIndexOf('@') + 1);
    const arn = (resource: string, resourceName: string) =>
      Arn.format({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, this);
    return [
      arn('identity', emailFrom),
      arn('identity', domain),
      ...configurationSets.map((set) => arn('configuration-set', set)),
    ];
  }

  /**
   * The alarms and their topic. The topic's policy holds only what CDK writes for `enforceSSL`
   * (deny without TLS), and any topic policy replaces SNS's default one, which let the account
   * publish: so it allows CloudWatch to publish, for this stack's alarms alone (aws:SourceArn, by
   * the names the alarms are given here) in this account (aws:SourceAccount), as AWS's examples of
   * CloudWatch alarms publishing to SNS do. The topic is encrypted with a key of its own whose
   * policy lets CloudWatch use it on the same conditions (an alarm publishing to an encrypted topic
   * needs kms:GenerateDataKey* and kms:Decrypt; AWS's managed aws/sns key cannot grant them).
   */
  private createAlarms(config: StackConfig): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'AI Activity Audit alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Control Tower's CT.KMS.PR.3: grants on the key only for AWS resources or from AWS services.
    // Neither SNS nor CloudWatch uses grants on it; nobody else needs one.
    denyGrantsExceptForAwsServices(key);
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'AI Activity Audit alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(config.alarmEmail));
    const action = new SnsAction(topic);

    // Each alarm is named `<stack>-<id>` (the ids the README names), so its ARN is known here, for
    // the conditions below, before CloudFormation creates it.
    const alarmArns: string[] = [];
    const alarm = (id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const alarmName = `${this.stackName}-${id}`;
      const created = new cloudwatch.Alarm(this, id, { ...props, alarmName });
      created.addAlarmAction(action);
      alarmArns.push(
        this.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: alarmName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
      return created;
    };
    const fn = this.reportFunction.function;
    alarm('FunctionErrorsAlarm', {
      alarmDescription:
        'The weekly report function failed (it is retried; see its log group). A report may be late or missing.',
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('DeadLetterQueueAlarm', {
      alarmDescription:
        'A weekly report could not be delivered after all retries; its event is in the dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The job's own metrics (run/metrics.ts, embedded metric format in the function's logs).
    const jobMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period: Duration.minutes(5),
      });
    alarm('ReportIncompleteAlarm', {
      alarmDescription:
        'A weekly report went out marked partial: some audit events could not be read. Its email says which causes lost which time.',
      metric: jobMetric(METRICS.complete, cloudwatch.Stats.MINIMUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ReportUnavailableAlarm', {
      alarmDescription:
        'No weekly report: not one page of the week could be read from Datadog (outage, rate limit or keys). Nothing was sent; the run is retried.',
      metric: jobMetric(METRICS.unavailable, cloudwatch.Stats.SUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('LedgerRecordFailedAlarm', {
      alarmDescription:
        'A report channel was sent but the idempotency table could not record it: a retry after the claim lapses could send it twice.',
      metric: jobMetric(METRICS.ledgerRecordFailed, cloudwatch.Stats.SUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromTheseAlarms = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnEquals: { 'aws:SourceArn': alarmArns },
    };
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowStackAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowStackAlarmsToUseKey',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    );
    return topic;
  }
}

/** `base` for the first, then `base2`, `base3`…: the ids and Sids of today stay as they were. */
function numberedId(base: string, index: number): string {
  return index === 0 ? base : `${base}${index + 1}`;
}

/** `prefix name, name, …`, cut with "and N more" to fit a schedule's description. */
function describeReports(prefix: string, names: readonly string[]): string {
  for (let shown = names.length; shown > 0; shown--) {
    const rest = names.length - shown;
    const text = `${prefix} ${names.slice(0, shown).join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
    if (text.length <= MAX_SCHEDULE_DESCRIPTION) return text;
  }
  return `${prefix} ${names.length} reports`.slice(0, MAX_SCHEDULE_DESCRIPTION);
}
