/**
 * The report archive's bucket: every weekly report (summary, email, Slack post, the week's
 * aggregate) under `reports/{report}/{window end}/`, kept as long as compliance needs it and
 * changed by nobody. All public access blocked, TLS only, SSE-S3 (or the given KMS key),
 * versioned, bucket-owner objects only, expired by a lifecycle rule (never, with retention 0),
 * optionally locked by S3 Object Lock in compliance mode, and its access logged to a second
 * bucket, which takes the logs under its bucket policy (no ACL on either bucket). It is retained
 * when the stack is destroyed: it is the record a reviewer asks for.
 *
 * Beside it, the archive's MAC key: a KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that seals each
 * archived week (docs/archive.md "A tamper-evident archive"). It never leaves KMS; the function's
 * role may GenerateMac and VerifyMac with it, and its key policy denies GenerateMac to every other
 * principal, so only the function can seal a week (anyone the account allows may verify). KMS does
 * not rotate HMAC keys (automatic rotation is for symmetric encryption keys only), and the key is
 * retained with the bucket: without it the archive could never be verified again.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_ROOT } from '../functions/weekly-report/archive/report-archive';
import { denyGrantsExceptForAwsServices } from './kms-grants';

export interface ReportArchiveBucketProps {
  /** Days objects (and their older versions) are kept; 0 keeps them forever. */
  readonly retentionDays: number;
  /** KMS key ARN for SSE-KMS. @default SSE-S3 */
  readonly kmsKeyArn?: string;
  /** S3 Object Lock in compliance mode for this many days. @default no Object Lock */
  readonly objectLockDays?: number;
}

export class ReportArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly key?: kms.IKey;
  /** The HMAC key that seals each archived week. */
  readonly macKey: kms.Key;

  constructor(scope: Construct, id: string, props: ReportArchiveBucketProps) {
    super(scope, id);
    // Server access logs of the archive: who read or wrote which report. Access log buckets take
    // SSE-S3 only; logs are kept as long as the reports (or a year when reports are kept forever).
    // ACLs disabled: S3 delivers the logs under a bucket policy statement for logging.s3.amazonaws.com,
    // limited to the archive bucket and this account (CDK writes it, with the feature flag
    // @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy), not the LogDeliveryWrite ACL, which
    // organisations that forbid ACLs refuse (Control Tower's CT.S3.PR.5, cfn-lint W3045).
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays > 0 ? props.retentionDays : 365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the report archive’s server access logs; logging it too would log forever.',
    });

    if (props.kmsKeyArn !== undefined) this.key = kms.Key.fromKeyArn(this, 'Key', props.kmsKeyArn);
    const retention = props.retentionDays > 0 ? Duration.days(props.retentionDays) : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...(this.key
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.key, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'ExpireReports',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          ...(retention ? { expiration: retention, noncurrentVersionExpiration: retention } : {}),
        },
      ],
      ...(props.objectLockDays
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.objectLockDays)),
          }
        : {}),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'report-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.macKey = new kms.Key(this, 'MacKey', {
      description: 'AI Activity Audit report archive: seals each archived week (GenerateMac, VerifyMac)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      // Not supported for HMAC keys: KMS rotates symmetric encryption keys only.
      enableKeyRotation: false,
      // The archive is retained; so is what verifies it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Control Tower's CT.KMS.PR.3: grants on the key only for AWS resources or from AWS services (none uses one).
    denyGrantsExceptForAwsServices(this.macKey);
  }

  /**
   * What the report function needs, nothing more: read and write objects under `reports/`, list
   * the bucket only under that prefix, use the KMS key when there is one, and make and check MACs
   * with the archive's MAC key, which no other principal may make MACs with.
   */
  grantReportAccess(role: iam.IRole): void {
    const objects = this.bucket.arnForObjects(`${ARCHIVE_ROOT}/*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveReports',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [objects],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListArchivedReports',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_ROOT}/*`] } },
      }),
    );
    this.key?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.macKey.grant(role, 'kms:GenerateMac', 'kms:VerifyMac');
    // Whoever else the account lets use KMS may verify the archive, never seal a week.
    this.macKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheReportFunctionSealsWeeks',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateMac'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }
}
