/**
 * The synthesized template against the checks an organisation runs before it lets a stack in:
 * - AWS Control Tower's proactive controls: the cfn-guard rules @cdklabs/cdk-validator-cfnguard
 *   ships, run by the cfn-guard binary inside that npm package (nothing is downloaded);
 * - the CloudFormation linter's rules: CDK's built-in CloudFormation Validate plugin (the rules of
 *   @aws/cloudformation-validate 1.14, bundled in aws-cdk-lib), which every synth runs and which the
 *   feature flag @aws-cdk/core:validateAgainstDefaultRules turns into a failed synth on an error,
 *   and the @aws/cloudformation-validate package from npm at its most verbose, with none of the
 *   rules CDK leaves out;
 * - the recommended feature flags, all adopted in cdk.json.
 * Each check is also shown to fail on what it is there to catch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { CfnResource, type IPolicyValidationContextBeta1, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { createReportApp, PROJECT_TAGS } from '../../infra/app';
import type { WeeklyReportStack } from '../../infra/weekly-report-stack';
import { cdkJsonContext } from './synth-stack';

const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The app as `cdk synth` builds it, bundling skipped; `change` may add to the stack before it is synthesized. */
function buildApp(overrides: Record<string, unknown> = {}, change?: (stack: WeeklyReportStack) => void) {
  const outdir = fs.mkdtempSync(path.join(dir, 'cdk.out-'));
  const built = createReportApp({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...overrides },
  });
  change?.(built.stack);
  return { ...built, outdir };
}

/** Control Tower's findings on the stack's template: rule name -> the logical ids it names. */
function controlTowerFindings(stack: WeeklyReportStack): Record<string, string[]> {
  const file = path.join(dir, `${stack.stackName}-${Math.random().toString(16).slice(2)}.template.json`);
  fs.writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
  const report = new CfnGuardValidator().validate({
    templatePaths: [file],
  } as unknown as IPolicyValidationContextBeta1);
  const findings: Record<string, string[]> = {};
  for (const violation of report.violations) {
    const ids = violation.violatingResources.map((r) => r.resourceLogicalId);
    findings[violation.ruleName] = [...new Set([...(findings[violation.ruleName] ?? []), ...ids])].sort();
  }
  return findings;
}

const logicalId = (stack: WeeklyReportStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** The template of `stack`, checked by @aws/cloudformation-validate with all its rules at `severityLevel` and up. */
function lint(stack: WeeklyReportStack, severityLevel: 'INFO' | 'WARN') {
  const file = path.join(dir, `lint-${Math.random().toString(16).slice(2)}.template.json`);
  fs.writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
  const engine = new RegoEngine();
  try {
    return engine.validateStandard(new TemplateFile(file), { severityLevel });
  } finally {
    engine.free();
  }
}

/** A bucket that manages access with the LogDeliveryWrite ACL, as the access-log bucket did; cdk-nag's findings on it acknowledged. */
function addAclBucket(stack: WeeklyReportStack): void {
  const bucket = new s3.CfnBucket(stack, 'AclBucket', {
    accessControl: 'LogDeliveryWrite',
    ownershipControls: { rules: [{ objectOwnership: 'ObjectWriter' }] },
  });
  for (const id of ['AwsSolutions-S1', 'AwsSolutions-S10']) {
    Validations.of(bucket).acknowledge({ id, reason: 'a test bucket with an ACL, for the checks to find' });
  }
}

/** Runs `fn` with the console's error output (where CDK prints its validation warnings) held back. */
function quietly<T>(fn: () => T): T {
  const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return fn();
  } finally {
    printed.mockRestore();
  }
}

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it('find no ACL, and nothing but the findings each acknowledged here with its reason', () => {
    // Prepare
    const { stack } = buildApp();
    const logs = logicalId(stack, stack.archive.accessLogs);
    const archive = logicalId(stack, stack.archive.bucket);

    // Act
    const findings = controlTowerFindings(stack);

    // Assess
    expect(findings.s3_bucket_acl_prohibited_check).toBeUndefined(); // CT.S3.PR.5
    expect(findings.kms_create_grant_aws_service_check).toBeUndefined(); // CT.KMS.PR.3
    expect(findings).toEqual({
      // CT.CLOUDWATCH.PR.3: with logKmsKeyArn set, the log group is encrypted with that key (next test).
      cloudwatch_log_group_encrypted_check: [logicalId(stack, stack.reportFunction.logGroup)],
      // CT.LAMBDA.PR.3: the function calls Datadog, Slack and AWS APIs on the internet; a VPC would add
      // a NAT gateway and nothing to protect.
      lambda_inside_vpc_check: [logicalId(stack, stack.reportFunction.function)],
      // CT.S3.PR.10: S3 server access logs can only be delivered to an SSE-S3 bucket; the archive
      // takes archiveKmsKeyArn (next test).
      s3_bucket_default_encryption_kms_check: [archive, logs].sort(),
      // CT.S3.PR.11: access logs are written once under unique keys and expire; versions would add nothing.
      s3_bucket_versioning_enabled_check: [logs],
      // CT.S3.PR.2: logging the access-log bucket would log itself forever (cdk-nag S1 is acknowledged too).
      s3_bucket_logging_enabled_check: [logs],
      // CT.S3.PR.4: nothing consumes the buckets' events.
      s3_event_notifications_enabled_check: [archive, logs].sort(),
      // CT.S3.PR.9: Object Lock on the archive comes with archiveObjectLockDays (next test); logs expire.
      s3_bucket_object_lock_enabled_check: [archive, logs].sort(),
      // CT.SQS.PR.1: this queue is itself the dead-letter queue (cdk-nag SQS3 is acknowledged too).
      sqs_dlq_check: [logicalId(stack, stack.deadLetterQueue)],
    });
  });

  it('pass the archive and log controls too when an organisation sets the KMS keys and Object Lock', () => {
    // Prepare
    const { stack } = buildApp({ archiveKmsKeyArn: KEY, logKmsKeyArn: KEY, archiveObjectLockDays: '365' });
    const archive = logicalId(stack, stack.archive.bucket);

    // Act
    const findings = controlTowerFindings(stack);

    // Assess
    expect(findings.cloudwatch_log_group_encrypted_check).toBeUndefined();
    expect(findings.s3_bucket_default_encryption_kms_check).not.toContain(archive);
    expect(findings.s3_bucket_object_lock_enabled_check).not.toContain(archive);
  });

  it('name a bucket that manages access with an ACL, so the check above can fail', () => {
    // Prepare
    const { stack } = buildApp({}, addAclBucket);

    // Act
    const findings = quietly(() => controlTowerFindings(stack));

    // Assess
    expect(findings.s3_bucket_acl_prohibited_check).toEqual(['AclBucket']);
  });
});

describe('CloudFormation linter rules', () => {
  it("report nothing at synth, where CDK's CloudFormation Validate runs, not even an acknowledged finding", () => {
    // Prepare
    const { app, outdir } = buildApp();

    // Act
    app.synth();

    // Assess
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((r: { violations?: unknown[]; suppressedViolations?: unknown[] }) => [
      ...(r.violations ?? []),
      ...(r.suppressedViolations ?? []),
    ]);
    expect(findings).toEqual([]);
  });

  it('fail the synth on an error in the template (@aws-cdk/core:validateAgainstDefaultRules)', () => {
    // Prepare
    const { app, stack } = buildApp();
    new CfnResource(stack, 'Broken', { type: 'AWS::SQS::Queue', properties: { MessageRetentionPeriod: 'a week' } });
    // Run from the CLI, the report is printed as well as thrown.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act + Assess
    try {
      expect(() => app.synth()).toThrow(/MessageRetentionPeriod: 'a week' is not of type 'integer'/);
    } finally {
      printed.mockRestore();
    }
  });

  it('of @aws/cloudformation-validate, every one at INFO level, find only notes on what CDK writes', () => {
    // Prepare
    const { stack } = buildApp({ alarmEmail: 'oncall@example.com' });

    // Act
    const report = lint(stack, 'INFO');

    // Assess
    expect(report.status).toBe('OK');
    // I9001 (info): changing a create-only property replaces the resource, a note and no fault.
    // I1022 (info): "prefer Fn::Sub over Fn::Join", on the ARNs CDK writes with Fn::Join.
    // W3005 (warning): CDK makes every Lambda function depend on its role explicitly, beside the
    // GetAtt, so the role's policy exists first; CDK's own validation leaves this rule out.
    expect([...new Set(report.diagnostics.map((d) => d.ruleId))].sort()).toEqual(['I1022', 'I9001', 'W3005']);
    const fn = logicalId(stack, stack.reportFunction.function);
    const role = logicalId(stack, stack.reportFunction.role);
    expect(
      report.diagnostics
        .filter((d) => d.severity !== 'INFO')
        .map((d) => `${d.ruleId} ${d.entity?.logicalId} ${d.message}`),
    ).toEqual([`W3005 ${fn} '${role}' dependency already enforced by a 'GetAtt' at 'Properties.Role'`]);
  });

  it('of @aws/cloudformation-validate name an ACL (W3045), so the check above can fail', () => {
    // Prepare
    const { stack } = buildApp({}, addAclBucket);

    // Act
    const report = quietly(() => lint(stack, 'WARN'));

    // Assess
    expect(report.diagnostics.map((d) => `${d.ruleId} ${d.entity?.logicalId}`)).toContain('W3045 AclBucket');
  });
});

describe('feature flags', () => {
  it('sets every flag aws-cdk-lib recommends to its recommended value (`npx cdk flags --unstable=flags` lists none unconfigured)', () => {
    // Prepare
    const recommended: Record<string, unknown> = JSON.parse(
      fs.readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
    );

    // Act
    const context = cdkJsonContext();

    // Assess
    const differing = Object.entries(recommended)
      .filter(([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value))
      .map(([flag, value]) => `${flag}: ${JSON.stringify(context[flag])} instead of ${JSON.stringify(value)}`);
    expect(differing).toEqual([]);
  });

  it('keeps the stack-level tag that @aws-cdk/core:explicitStackTags no longer derives from Tags.of(stack)', () => {
    // Prepare
    const { app, stack } = buildApp();

    // Act
    const artifact = app.synth().getStackByName(stack.stackName);

    // Assess
    expect(artifact.tags).toEqual(PROJECT_TAGS);
    const queue = Template.fromStack(stack).findResources('AWS::SQS::Queue');
    expect(Object.values(queue)[0]?.Properties.Tags).toEqual([{ Key: 'project', Value: 'ai-activity-audit' }]);
  });
});
