/**
 * The weekly report stack: schedule from context, function settings, scoped IAM, DLQ, alarms,
 * idempotency table, cdk-nag, and one whole-template snapshot (asset hashes blanked).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readEnv } from '../../functions/weekly-report/config/env';
import { parseReports } from '../../functions/weekly-report/config/parse-reports';
import type { ReportDefinition } from '../../functions/weekly-report/config/report-definitions';
import { DEFAULTS_KEYS } from '../../functions/weekly-report/config/report-settings';
import { DEFAULT_THRESHOLDS } from '../../functions/weekly-report/core/types';
import { createReportApp } from '../../infra/app';
import { parseStackConfig } from '../../infra/config';
import { groupBySchedule, scheduleIds } from '../../infra/weekly-report-stack';
import { cdkJsonContext, synthesizeStack } from './synth-stack';
import { twoOrgContext } from './two-orgs';

interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
}

/** Every statement of the stack's policies, the managed ones included: CDK moves what a role's inline policy cannot hold into them. */
function policyStatements(template: Template): Statement[] {
  return Object.values({
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  }).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function functionVariables(template: Template): Record<string, unknown> {
  return Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties.Environment.Variables;
}

/** The report settings of cdk.json: the defaults of the document the stack builds. */
function cdkJsonContextReportKeys(): Record<string, unknown> {
  const context = cdkJsonContext();
  return Object.fromEntries(DEFAULTS_KEYS.filter((key) => key in context).map((key) => [key, context[key]]));
}

/**
 * The function's cold start on what the stack deploys: its environment, with the bundled
 * reports.json written where REPORTS_FILE finds it and the table and bucket as deployed.
 */
function coldStart(template: Template, reportsDocument: unknown) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  try {
    const variables = functionVariables(template);
    const file = path.join(dir, String(variables.REPORTS_FILE));
    fs.writeFileSync(file, JSON.stringify(reportsDocument));
    // The table and bucket names are CloudFormation references until deployment.
    const deployed: Record<string, string> = {
      REPORTS_FILE: file,
      IDEMPOTENCY_TABLE: 'AiActivityAudit-IdempotencyTable',
      ARCHIVE_BUCKET: 'aiactivityaudit-reportarchive-1a2b3c4d',
      ARCHIVE_MAC_KEY: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    };
    const env = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, deployed[k] ?? (typeof v === 'string' ? v : '')]),
    );
    return readEnv(env);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Renders `Fn::Join` ARNs to strings with `<Ref>` placeholders (as cdk-nag does), to compare them as text. */
function renderResource(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(renderResource).join(join[0]);
  const ref = (resource as { Ref?: string }).Ref;
  if (ref) return `<${ref}>`;
  const getAtt = (resource as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
  if (getAtt) return `<${getAtt.join('.')}>`;
  return JSON.stringify(resource);
}

/** A policy statement (or any JSON) with every intrinsic rendered as renderResource does, to compare as plain values. */
function renderDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renderDeep);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && ['Fn::Join', 'Ref', 'Fn::GetAtt'].includes(keys[0] ?? '')) return renderResource(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v)]));
}

/** The ARN CloudWatch names as aws:SourceArn when the alarm `name` of this stack publishes. */
const alarmArn = (name: string) => `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${name}`;

const ASSET_HASH = /[0-9a-f]{64}/g;

/** Blanks asset hashes so the snapshot changes only when the infrastructure does. */
expect.addSnapshotSerializer({
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '[ASSET HASH]')),
});

describe('WeeklyReportStack', () => {
  describe('schedule', () => {
    it('uses the schedule expression and timezone from context', () => {
      // Prepare
      const context = { schedule: 'cron(15 6 ? * TUE *)', timezone: 'Asia/Tokyo' };

      // Act
      const { template } = synthesizeStack(context);

      // Assess
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(15 6 ? * TUE *)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
        State: 'ENABLED',
      });
    });

    it('defaults to Monday 09:00 UTC from cdk.json', () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'UTC',
      });
    });

    it('invokes the function with the scheduled time, retries, and a dead-letter queue', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const fnId = stack.getLogicalId(stack.reportFunction.function.node.defaultChild as never);
      const dlqId = stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as never);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: {
          Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
          Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>', reports: ['default'] }),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 6 * 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        },
      });
    });
  });

  describe('function', () => {
    it('runs nodejs24.x on arm64 with a 5 minute timeout and JSON logs into a retained log group', () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 300,
        MemorySize: 1024,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      });
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 365, KmsKeyId: Match.absent() },
        DeletionPolicy: 'Retain',
      });
    });

    it('keeps logs as long as logRetentionDays says and encrypts them with logKmsKeyArn', () => {
      // Prepare
      const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

      // Act
      const { template } = synthesizeStack({ logRetentionDays: '731', logKmsKeyArn: key });

      // Assess
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731, KmsKeyId: key });
    });

    it('gives the function its reports as the bundled document, and in its environment only where it is', () => {
      // Prepare: values as they arrive from -c on the command line (all strings)
      const context = {
        orgName: 'Acme',
        timezone: 'Europe/Berlin',
        windowDays: '14',
        baselineDays: '42',
        datadogSite: 'datadoghq.eu',
        secretName: 'team/audit-credentials',
        emailTo: 'a@example.com, b@example.org',
        sesConfigurationSet: 'audit-tracking',
        slackChannel: 'C0123456789',
        thresholds: '{"burstCalls":50}',
        suppress: '[{"kind":"high_volume","user":"bot@example.com"}]',
      };

      // Act
      const { template, stack } = synthesizeStack(context);

      // Assess
      const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
      const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
      const macKeyId = stack.getLogicalId(stack.archive.macKey.node.defaultChild as never);
      expect(functionVariables(template)).toEqual({
        REPORTS_FILE: 'reports.json',
        IDEMPOTENCY_TABLE: { Ref: tableId },
        ARCHIVE_BUCKET: { Ref: bucketId },
        ARCHIVE_MAC_KEY: { 'Fn::GetAtt': [macKeyId, 'Arn'] },
        POWERTOOLS_SERVICE_NAME: 'ai-activity-audit',
        POWERTOOLS_METRICS_NAMESPACE: 'AiActivityAudit',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(stack.reportsDocument).toEqual({
        schema: 1,
        defaults: { ...cdkJsonContextReportKeys(), ...context },
        reports: [{ name: 'default' }],
      });
      expect(coldStart(template, stack.reportsDocument).reports).toEqual([
        {
          name: 'default',
          key: 'Acme',
          org: 'Acme',
          schedule: 'cron(0 9 ? * MON *)',
          timezone: 'Europe/Berlin',
          windowMode: 'calendar',
          windowDays: 14,
          baselineDays: 42,
          site: 'datadoghq.eu',
          secretId: 'team/audit-credentials',
          email: {
            from: 'audit@example.com',
            to: ['a@example.com', 'b@example.org'],
            configurationSet: 'audit-tracking',
          },
          slack: { channel: 'C0123456789' },
          thresholds: { ...DEFAULT_THRESHOLDS, burstCalls: 50 },
          suppress: [{ kind: 'high_volume', user: 'bot@example.com' }],
          exceptions: [],
          topUsers: 5,
          changesLimit: 200,
          activity: 'all',
        },
      ]);
    });

    it('gives the function what its own cold-start check accepts: the reports synth parsed', () => {
      // Prepare
      const { template, stack } = synthesizeStack({ slackChannel: 'C0123456789', sesConfigurationSet: 'audit' });

      // Act
      const config = coldStart(template, stack.reportsDocument);

      // Assess
      expect(config).toMatchObject({
        reports: [
          {
            name: 'default',
            org: 'Example Org',
            email: { from: 'audit@example.com', to: ['security@example.com'], configurationSet: 'audit' },
            slack: { channel: 'C0123456789' },
          },
        ],
        archiveBucket: 'aiactivityaudit-reportarchive-1a2b3c4d',
      });
      expect(config.reports).toEqual(
        parseStackConfig({ ...cdkJsonContext(), slackChannel: 'C0123456789', sesConfigurationSet: 'audit' }).reports,
      );
    });

    it('sends failed async invocations to the dead-letter queue after Lambda retries', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const dlqId = stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as never);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
      });
    });
  });

  describe('reports list', () => {
    it('names the bundled document in the environment instead of the per-report variables', () => {
      // Act
      const { template, stack } = synthesizeStack(twoOrgContext());

      // Assess
      const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
      const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
      const macKeyId = stack.getLogicalId(stack.archive.macKey.node.defaultChild as never);
      expect(functionVariables(template)).toEqual({
        REPORTS_FILE: 'reports.json',
        IDEMPOTENCY_TABLE: { Ref: tableId },
        ARCHIVE_BUCKET: { Ref: bucketId },
        ARCHIVE_MAC_KEY: { 'Fn::GetAtt': [macKeyId, 'Arn'] },
        POWERTOOLS_SERVICE_NAME: 'ai-activity-audit',
        POWERTOOLS_METRICS_NAMESPACE: 'AiActivityAudit',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it("builds the reports document from the context, and the function's cold-start check accepts it", () => {
      // Act
      const { stack } = synthesizeStack(twoOrgContext());

      // Assess
      const config = parseStackConfig({ ...cdkJsonContext(), ...twoOrgContext() });
      expect(stack.reportsDocument).toEqual(config.reportsDocument);
      const parsed = parseReports(JSON.parse(JSON.stringify(stack.reportsDocument)));
      expect(parsed).toEqual({ ok: true, reports: config.reports });
      expect(config.reports.map((r) => r.name)).toEqual(['security', 'sre-team', 'globex']);
    });

    it('gives three reports over two orgs two schedules, one per org and schedule, each naming its reports', () => {
      // Prepare
      const { stack: before } = synthesizeStack();

      // Act
      const { template, stack } = synthesizeStack(twoOrgContext());

      // Assess
      const fnId = stack.getLogicalId(stack.reportFunction.function.node.defaultChild as never);
      const dlqId = stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as never);
      const schedules = template.findResources('AWS::Scheduler::Schedule');
      const logicalIds = stack.schedules.map((s) => stack.getLogicalId(s.schedule.node.defaultChild as never));
      expect(Object.keys(schedules).sort()).toEqual([...logicalIds].sort());
      expect(logicalIds[0]).toBe(before.getLogicalId(before.schedules[0]?.schedule.node.defaultChild as never));
      expect(stack.schedules.map((s) => [s.schedule.node.id, s.reports])).toEqual([
        ['Schedule', ['security', 'sre-team']],
        ['ScheduleGlobex', ['globex']],
      ]);
      const target = (reports: string[]) => ({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>', reports }),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        RoleArn: schedules[logicalIds[0] ?? '']?.Properties.Target.RoleArn,
      });
      expect(schedules[logicalIds[0] ?? '']?.Properties).toMatchObject({
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'UTC',
        Description: 'AI Activity Audit (cron(0 9 ? * MON *) UTC): security, sre-team',
        Target: target(['security', 'sre-team']),
      });
      expect(schedules[logicalIds[1] ?? '']?.Properties).toMatchObject({
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        Target: target(['globex']),
      });
      template.resourceCountIs('AWS::IAM::Role', 2);
    });

    it('outputs which schedule sends which reports', () => {
      // Act
      const { template, stack } = synthesizeStack(twoOrgContext());

      // Assess
      const outputs = template.findOutputs('*');
      const [first, second] = stack.schedules.map((s) => stack.getLogicalId(s.schedule.node.defaultChild as never));
      expect(outputs.ScheduleReports).toEqual({
        Description:
          'Reports of schedule Schedule: cron(0 9 ? * MON *) UTC, secret ai-activity-audit/acme on datadoghq.com',
        Value: { 'Fn::Join': ['', [{ Ref: first }, ': security, sre-team']] },
      });
      expect(outputs.ScheduleGlobexReports).toEqual({
        Description:
          'Reports of schedule ScheduleGlobex: cron(0 9 ? * MON *) Europe/Berlin, secret ai-activity-audit/globex on datadoghq.eu',
        Value: { 'Fn::Join': ['', [{ Ref: second }, ': globex']] },
      });
      const single = synthesizeStack();
      expect(single.template.findOutputs('*').ScheduleReports).toEqual({
        Description:
          'Reports of schedule Schedule: cron(0 9 ? * MON *) UTC, secret ai-activity-audit/credentials on datadoghq.com',
        Value: {
          'Fn::Join': [
            '',
            [
              { Ref: single.stack.getLogicalId(single.stack.schedules[0]?.schedule.node.defaultChild as never) },
              ': default',
            ],
          ],
        },
      });
    });

    it('keeps a schedule description within the 512 characters Scheduler takes', () => {
      // Prepare
      const reports = Array.from({ length: 40 }, (_, i) => ({ name: `team-${i}-with-a-rather-long-report-name` }));

      // Act
      const { template } = synthesizeStack({ reports });

      // Assess
      const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
      const description = String(schedule?.Properties.Description);
      expect(description.length).toBeLessThanOrEqual(512);
      expect(description).toMatch(
        /^AI Activity Audit \(cron\(0 9 \? \* MON \*\) UTC\): team-0-with-a-rather-long-report-name, .* and \d+ more$/,
      );
      expect(JSON.parse(schedule?.Properties.Target.Input).reports).toHaveLength(40);
    });

    it('bundles the one report "default" without a list, and its schedule names it', () => {
      // Act
      const { stack, template } = synthesizeStack();

      // Assess
      expect(stack.reportsDocument.reports).toEqual([{ name: 'default' }]);
      expect(functionVariables(template).REPORTS_FILE).toBe('reports.json');
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Description: 'AI Activity Audit (cron(0 9 ? * MON *) UTC): default',
      });
    });

    it('writes reports.json next to the handler when it really bundles, as cdk synth does', () => {
      // Prepare
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
      try {
        const { app, stack } = createReportApp({ outdir, context: { ...cdkJsonContext(), ...twoOrgContext() } });

        // Act
        app.synth();

        // Assess
        const code = Template.fromStack(stack).findResources('AWS::Lambda::Function');
        const key = String(Object.values(code)[0]?.Properties.Code.S3Key);
        const asset = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
        expect(fs.readdirSync(asset).sort()).toEqual(['index.js', 'index.js.map', 'reports.json']);
        const written = JSON.parse(fs.readFileSync(path.join(asset, 'reports.json'), 'utf8'));
        expect(written).toEqual(stack.reportsDocument);
        expect(parseReports(written)).toEqual({
          ok: true,
          reports: parseStackConfig({ ...cdkJsonContext(), ...twoOrgContext() }).reports,
        });
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('least privilege', () => {
    it('grants no SES, Secrets Manager or DynamoDB action on "*" and no service wildcard', () => {
      // Prepare
      const sensitive = /^(ses|secretsmanager|dynamodb):/;

      // Act
      const { template } = synthesizeStack({ sesConfigurationSet: 'audit-tracking' });

      // Assess
      const statements = policyStatements(template).filter((s) => asList(s.Action).some((a) => sensitive.test(a)));
      expect(statements.length).toBeGreaterThanOrEqual(3);
      for (const statement of statements) {
        expect(asList(statement.Action).filter((a) => a.endsWith('*'))).toEqual([]);
        expect(asList(statement.Resource).map(renderResource)).not.toContain('*');
      }
    });

    it('reads only the named secret, including the random suffix Secrets Manager appends', () => {
      // Act
      const { template } = synthesizeStack({ secretName: 'team/audit-credentials' });

      // Assess
      const statements = policyStatements(template).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('secretsmanager:')),
      );
      expect(statements.map((s) => [s.Action, asList(s.Resource).map(renderResource)])).toEqual([
        [
          'secretsmanager:GetSecretValue',
          ['arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:team/audit-credentials-??????'],
        ],
      ]);
    });

    it('sends e-mail only as the sender identity, its domain and the configuration set', () => {
      // Act
      const { template } = synthesizeStack({ emailFrom: 'reports@audit.example.org', sesConfigurationSet: 'audit' });

      // Assess
      const prefix = 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:';
      const statements = policyStatements(template).filter((s) => asList(s.Action).some((a) => a.startsWith('ses:')));
      expect(statements.map((s) => [s.Action, asList(s.Resource).map(renderResource).sort()])).toEqual([
        [
          'ses:SendEmail',
          [
            `${prefix}configuration-set/audit`,
            `${prefix}identity/audit.example.org`,
            `${prefix}identity/reports@audit.example.org`,
          ],
        ],
      ]);
      expect(statements[0]).toMatchObject({
        Condition: { StringEquals: { 'ses:FromAddress': 'reports@audit.example.org' } },
      });
    });

    it('reads exactly the secrets the reports name, one per org, each with its random suffix', () => {
      // Act
      const { template } = synthesizeStack(twoOrgContext());

      // Assess
      const statements = policyStatements(template).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('secretsmanager:')),
      );
      const prefix = 'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:';
      expect(statements.map((s) => [s.Action, asList(s.Resource).map(renderResource).sort()])).toEqual([
        [
          'secretsmanager:GetSecretValue',
          [`${prefix}ai-activity-audit/acme-??????`, `${prefix}ai-activity-audit/globex-??????`],
        ],
      ]);
    });

    it("lets each sender send only as itself, on its identities and its reports' configuration sets", () => {
      // Prepare
      const reports = [
        { name: 'security', sesConfigurationSet: 'acme-audit' },
        { name: 'board', emailTo: ['board@acme.example'], sesConfigurationSet: 'board' },
        { name: 'sre-team', emailTo: [], slackChannel: 'C0SRE00001' },
        { name: 'globex', emailFrom: 'audit@globex.example', emailTo: ['secops@globex.example'] },
      ];

      // Act
      const { template } = synthesizeStack({ ...twoOrgContext(), reports });

      // Assess
      const prefix = 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:';
      const statements = policyStatements(template).filter((s) => asList(s.Action).some((a) => a.startsWith('ses:')));
      expect(
        statements.map((s) => ({
          sid: s.Sid,
          action: s.Action,
          resources: asList(s.Resource).map(renderResource).sort(),
          condition: (s as { Condition?: unknown }).Condition,
        })),
      ).toEqual([
        {
          sid: 'SendReportEmail',
          action: 'ses:SendEmail',
          resources: [
            `${prefix}configuration-set/acme-audit`,
            `${prefix}configuration-set/board`,
            `${prefix}identity/acme.example`,
            `${prefix}identity/audit@acme.example`,
          ],
          condition: { StringEquals: { 'ses:FromAddress': 'audit@acme.example' } },
        },
        {
          sid: 'SendReportEmail2',
          action: 'ses:SendEmail',
          resources: [`${prefix}identity/audit@globex.example`, `${prefix}identity/globex.example`],
          condition: { StringEquals: { 'ses:FromAddress': 'audit@globex.example' } },
        },
      ]);
    });

    it('grants 40 reports over 40 orgs their 40 secrets and senders, with no finding from cdk-nag', () => {
      // Prepare
      const reports = Array.from({ length: 40 }, (_, i) => ({
        name: `org-${i}`,
        orgName: `Org ${i}`,
        secretName: `ai-activity-audit/org-${i}`,
        emailFrom: `audit@org-${i}.example`,
        emailTo: [`security@org-${i}.example`],
        sesConfigurationSet: `set-${i}`,
      }));

      // Act
      const { template, stack } = synthesizeStack({ reports });

      // Assess
      const statements = policyStatements(template);
      const secrets = statements
        .filter((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => asList(s.Resource));
      const senders = statements.filter((s) => asList(s.Action).includes('ses:SendEmail'));
      expect(secrets).toHaveLength(40);
      expect(senders).toHaveLength(40);
      template.resourceCountIs('AWS::Scheduler::Schedule', 40);
      expect(new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
    });

    it('grants no SES action when only Slack is configured', () => {
      // Act
      const { template, stack } = synthesizeStack({ emailTo: '', slackChannel: 'C0123456789' });

      // Assess
      const ses = policyStatements(template).filter((s) => asList(s.Action).some((a) => a.startsWith('ses:')));
      expect(ses).toEqual([]);
      expect(stack.reportsDocument.defaults).toMatchObject({ emailTo: '', slackChannel: 'C0123456789' });
      const [report] = coldStart(template, stack.reportsDocument).reports;
      expect(report?.email).toBeUndefined();
      expect(report?.slack).toEqual({ channel: 'C0123456789' });
    });

    it('lets the function use the table item by item only', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
      const statements = policyStatements(template).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('dynamodb:')),
      );
      expect(statements).toEqual([
        {
          Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
      ]);
    });
  });

  describe('state', () => {
    it('keeps delivery records in an on-demand table with TTL and point-in-time recovery', () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('encrypts the dead-letter queue and refuses non-TLS access to it', () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      template.resourceCountIs('AWS::SQS::Queue', 1);
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1209600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('report archive', () => {
    it('keeps reports in a private, TLS-only, encrypted, versioned bucket that expires them after archiveRetentionDays', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
      const logsId = stack.getLogicalId(stack.archive.accessLogs.node.defaultChild as never);
      template.hasResource('AWS::S3::Bucket', {
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: [
              Match.objectLike({
                Status: 'Enabled',
                ExpirationInDays: 400,
                NoncurrentVersionExpiration: { NoncurrentDays: 400 },
              }),
            ],
          },
          LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'report-archive/' },
          ObjectLockEnabled: Match.absent(),
        },
        DeletionPolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('keeps reports forever with archiveRetentionDays=0, under a KMS key and Object Lock when asked', () => {
      // Prepare
      const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

      // Act
      const { template, stack } = synthesizeStack({
        archiveRetentionDays: '0',
        archiveKmsKeyArn: key,
        archiveObjectLockDays: '365',
      });

      // Assess
      const bucket = Object.values(template.findResources('AWS::S3::Bucket')).find(
        (b) => b.Properties.ObjectLockEnabled === true,
      );
      expect(bucket?.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true },
          ],
        },
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
      });
      const rule = bucket?.Properties.LifecycleConfiguration.Rules[0];
      expect(rule.ExpirationInDays).toBeUndefined();
      expect(rule.NoncurrentVersionExpiration).toBeUndefined();
      const kmsGrant = policyStatements(template).find((st) => asList(st.Action).includes('kms:GenerateDataKey'));
      expect(kmsGrant?.Resource).toBe(key);
      expect(stack.archive.key).toBeDefined();
    });

    it('lets the function read and write objects under reports/ and list only that prefix, nothing more', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
      const s3Statements = policyStatements(template).filter((st) =>
        asList(st.Action).some((a) => a.startsWith('s3:')),
      );
      expect(
        s3Statements.map((st) => ({
          actions: asList(st.Action).sort(),
          resources: asList(st.Resource).map(renderResource),
          condition: (st as { Condition?: unknown }).Condition,
        })),
      ).toEqual([
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [`<${bucketId}.Arn>/reports/*`], condition: undefined },
        {
          actions: ['s3:ListBucket'],
          resources: [`<${bucketId}.Arn>`],
          condition: { StringLike: { 's3:prefix': ['reports/*'] } },
        },
      ]);
      template.hasOutput('ArchiveBucketName', { Value: { Ref: bucketId } });
      template.hasOutput('ArchiveLayout', {});
    });

    it('seals the archive with a retained KMS HMAC key that only the function may make MACs with, and outputs it', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const keyId = stack.getLogicalId(stack.archive.macKey.node.defaultChild as never);
      const roleId = stack.getLogicalId(stack.reportFunction.role.node.defaultChild as never);
      const key = template.findResources('AWS::KMS::Key')[keyId];
      expect(key?.DeletionPolicy).toBe('Retain');
      // KMS rotates symmetric encryption keys only; an HMAC key cannot be rotated.
      expect(key?.Properties).toMatchObject({
        KeySpec: 'HMAC_256',
        KeyUsage: 'GENERATE_VERIFY_MAC',
        EnableKeyRotation: false,
      });
      expect(key?.Properties.KeyPolicy.Statement).toContainEqual({
        Sid: 'OnlyTheReportFunctionSealsWeeks',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:GenerateMac',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } } },
      });
      const macStatements = policyStatements(template).filter((st) =>
        asList(st.Action).some((a) => a === 'kms:GenerateMac' || a === 'kms:VerifyMac'),
      );
      expect(macStatements.map((st) => ({ actions: asList(st.Action).sort(), resource: st.Resource }))).toEqual([
        { actions: ['kms:GenerateMac', 'kms:VerifyMac'], resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      ]);
      template.hasOutput('ArchiveMacKeyArn', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    });
  });

  describe('guardrails on the archive', () => {
    it('disables ACLs on both buckets and has S3 deliver the access logs under a bucket policy, for the archive only', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess: no bucket has an ACL (Control Tower CT.S3.PR.5, cfn-lint W3045), ACLs are disabled on both
      const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
      const logsId = stack.getLogicalId(stack.archive.accessLogs.node.defaultChild as never);
      const buckets = template.findResources('AWS::S3::Bucket');
      expect(Object.keys(buckets).sort()).toEqual([bucketId, logsId].sort());
      for (const bucket of Object.values(buckets)) {
        expect(bucket.Properties.AccessControl).toBeUndefined();
        expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      }
      const logsPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
        (p) => p.Properties.Bucket.Ref === logsId,
      );
      const delivery = ((logsPolicy?.Properties.PolicyDocument.Statement ?? []) as Statement[]).filter(
        (st) => st.Effect === 'Allow',
      );
      expect(delivery.map(renderDeep)).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `<${logsId}.Arn>/report-archive/*`,
          Condition: {
            ArnLike: { 'aws:SourceArn': `<${bucketId}.Arn>` },
            StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
          },
        },
      ]);
    });
  });

  describe('alarms', () => {
    it('alarms on function errors and on any message in the dead-letter queue, to an encrypted topic', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const topicId = stack.getLogicalId(stack.alarmTopic.node.defaultChild as never);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [{ Ref: topicId }],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ Ref: topicId }],
      });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('alarms on a partial report, on a week that could not be read, and on a send the ledger could not record', () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess
      const topicId = stack.getLogicalId(stack.alarmTopic.node.defaultChild as never);
      const job = { Namespace: 'AiActivityAudit', Dimensions: [{ Name: 'service', Value: 'ai-activity-audit' }] };
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...job,
        MetricName: 'ReportComplete',
        Statistic: 'Minimum',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        AlarmActions: [{ Ref: topicId }],
      });
      for (const metric of ['ReportUnavailable', 'LedgerRecordFailed']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          ...job,
          MetricName: metric,
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
          AlarmActions: [{ Ref: topicId }],
        });
      }
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: 'ai-activity-audit',
            POWERTOOLS_METRICS_NAMESPACE: 'AiActivityAudit',
          }),
        },
      });
    });

    it("lets this stack's alarms alone, from this account, publish to the alarm topic, and only over TLS", () => {
      // Act
      const { template, stack } = synthesizeStack();

      // Assess: every alarm is named after the stack, acts on the topic, and is one the policy names
      const topicId = stack.getLogicalId(stack.alarmTopic.node.defaultChild as never);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      const names = alarms.map((a) => String(a.Properties.AlarmName));
      expect(names).toEqual([
        'AiActivityAudit-FunctionErrorsAlarm',
        'AiActivityAudit-DeadLetterQueueAlarm',
        'AiActivityAudit-ReportIncompleteAlarm',
        'AiActivityAudit-ReportUnavailableAlarm',
        'AiActivityAudit-LedgerRecordFailedAlarm',
      ]);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policies.map((p) => p.Properties.Topics)).toEqual([[{ Ref: topicId }]]);
      // The topic policy replaces SNS's default one: these two statements are all it allows and refuses.
      expect(policies[0]?.Properties.PolicyDocument.Statement.map(renderDeep)).toEqual([
        {
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: `<${topicId}>`,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'AllowStackAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: `<${topicId}>`,
          Condition: {
            StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
            ArnEquals: { 'aws:SourceArn': names.map(alarmArn) },
          },
        },
      ]);
    });

    it("encrypts the topic with its own key, which CloudWatch may use for this stack's alarms in this account only", () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      const keys = template.findResources('AWS::KMS::Key', {
        Properties: { Description: 'AI Activity Audit alarm topic' },
      });
      const [keyId, key] = Object.entries(keys)[0] ?? [];
      expect(Object.keys(keys)).toHaveLength(1);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) =>
        String(a.Properties.AlarmName),
      );
      const statements = ((key?.Properties.KeyPolicy.Statement ?? []) as Statement[]).map(renderDeep);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root' },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          // Control Tower CT.KMS.PR.3: grants only for AWS resources or from AWS services.
          Sid: 'DenyGrantsExceptForAwsServices',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        },
        {
          Sid: 'AllowStackAlarmsToUseKey',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
            ArnEquals: { 'aws:SourceArn': names.map(alarmArn) },
          },
        },
      ]);
    });

    it('subscribes alarmEmail to the alarm topic when given', () => {
      // Act
      const { template } = synthesizeStack({ alarmEmail: 'oncall@example.com' });

      // Assess
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged AwsSolutions finding, error or warning', () => {
      // Prepare
      const { stack } = synthesizeStack({ alarmEmail: 'oncall@example.com', sesConfigurationSet: 'audit' });

      // Act
      const report = new AwsSolutionsChecks().validateScope(stack);

      // Assess
      expect(report.violations.map((v) => `${v.ruleName} (${v.severity})`)).toEqual([]);
    });

    it('reports no finding for a reports list over two orgs either', () => {
      // Prepare
      const { stack } = synthesizeStack({ ...twoOrgContext(), sesConfigurationSet: 'audit' });

      // Act
      const report = new AwsSolutionsChecks().validateScope(stack);

      // Assess
      expect(report.violations.map((v) => `${v.ruleName} (${v.severity})`)).toEqual([]);
    });

    it('fails the synth when a statement grants a wildcard resource', () => {
      // Prepare
      const { stack } = synthesizeStack();
      stack.reportFunction.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: ['*'] }),
      );

      // Act
      const report = new AwsSolutionsChecks().validateScope(stack);

      // Assess
      expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Resource::*]');
    });

    it('is registered on the app, so cdk synth runs it', () => {
      // Prepare
      const { app } = synthesizeStack();
      const stack = new Stack(app, 'Unscoped');
      new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() }).addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
      );
      Validations.of(stack).acknowledge({ id: 'AwsSolutions-IAM5[Action::s3:GetObject]', reason: 'test only' });

      // Act + Assess
      expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
    });
  });

  describe('snapshot', () => {
    it('matches the whole template', () => {
      // Act
      const { template } = synthesizeStack();

      // Assess
      expect(template.toJSON()).toMatchSnapshot();
    });
  });
});

describe('groupBySchedule', () => {
  function report(name: string, overrides: Partial<ReportDefinition> = {}): ReportDefinition {
    return {
      name,
      key: name,
      schedule: 'cron(0 9 ? * MON *)',
      timezone: 'UTC',
      org: 'Acme',
      site: 'datadoghq.com',
      secretId: 'ai-activity-audit/acme',
      slack: { channel: 'C0SRE00001' },
      windowMode: 'calendar',
      windowDays: 7,
      baselineDays: 28,
      thresholds: { ...DEFAULT_THRESHOLDS },
      suppress: [],
      topUsers: 5,
      changesLimit: 200,
      ...overrides,
    };
  }

  it('puts reports of one org, schedule, time zone and window together, whatever their channels and scopes', () => {
    // Prepare
    const reports = [
      report('security', {
        email: { from: 'audit@acme.example', to: ['security@acme.example'] },
        slack: undefined,
      }),
      report('sre-team', { scope: { teams: ['sre'] }, org: 'Acme SRE' }),
      report('daily', { schedule: 'cron(0 9 ? * * *)' }),
      report('rolling', { windowMode: 'rolling' }),
      report('tokyo', { timezone: 'Asia/Tokyo' }),
      report('globex', { secretId: 'ai-activity-audit/globex' }),
      report('eu', { site: 'datadoghq.eu' }),
      report('ana', { scope: { people: ['ana@acme.example'] } }),
    ];

    // Act
    const groups = groupBySchedule(reports);

    // Assess
    expect(groups.map((g) => g.reports.map((r) => r.name))).toEqual([
      ['security', 'sre-team', 'ana'],
      ['daily'],
      ['rolling'],
      ['tokyo'],
      ['globex'],
      ['eu'],
    ]);
    expect(scheduleIds(groups)).toEqual([
      'Schedule',
      'ScheduleDaily',
      'ScheduleRolling',
      'ScheduleTokyo',
      'ScheduleGlobex',
      'ScheduleEu',
    ]);
  });

  it('numbers schedule ids whose report names give the same PascalCase', () => {
    // Prepare
    const groups = groupBySchedule([
      report('first'),
      report('a-1b', { timezone: 'Asia/Tokyo' }),
      report('a1b', { timezone: 'Europe/Berlin' }),
      report('a--1b', { timezone: 'Europe/Paris' }),
    ]);

    // Act + Assess
    expect(scheduleIds(groups)).toEqual(['Schedule', 'ScheduleA1b', 'ScheduleA1b2', 'ScheduleA1b3']);
  });
});
