/**
 * ARCHIVE_MAC_KEY: the KMS HMAC key that seals the report archive, read at cold start. It takes
 * what KMS's KeyId takes (a key ARN, key id, alias or alias ARN), refuses anything else naming the
 * variable and the stack output to use, and makes sense only with ARCHIVE_BUCKET.
 */
import { readEnv } from '../../../functions/weekly-report/config/env';
import { ConfigError } from '../../../functions/weekly-report/errors';

const ENV: Readonly<Record<string, string>> = {
  ORG_NAME: 'Acme',
  SECRET_ID: 'ai-activity-audit/credentials',
  SLACK_CHANNEL: 'C0123456789',
  IDEMPOTENCY_TABLE: 'ai-activity-audit-deliveries',
  ARCHIVE_BUCKET: 'acme-report-archive',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    readEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('ARCHIVE_MAC_KEY', () => {
  it.each([
    'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    'arn:aws:kms:eu-central-1:123456789012:alias/ai-activity-audit-archive',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'alias/ai-activity-audit-archive',
  ])('takes %s', (key) => {
    // Assess
    expect(readEnv({ ...ENV, ARCHIVE_MAC_KEY: key }).archiveMacKey).toBe(key);
  });

  it('is optional: without it the archive is neither sealed nor checked', () => {
    // Assess
    expect(readEnv(ENV).archiveMacKey).toBeUndefined();
  });

  it.each([
    'my key',
    'arn:aws:s3:::acme-report-archive',
    'arn:aws:kms:eu-central-1:123456789012:key/ab\ncd',
    'arn:aws:kms:eu-central-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  ])('refuses %j, naming the variable and the stack output', (key) => {
    // Assess
    expect(problemsOf({ ...ENV, ARCHIVE_MAC_KEY: key })).toEqual([
      expect.stringMatching(
        /^ARCHIVE_MAC_KEY must be a KMS key ARN, key id or alias, such as the stack output ArchiveMacKeyArn \(got /,
      ),
    ]);
  });

  it('refuses a key without the archive it would seal', () => {
    // Assess
    expect(problemsOf({ ...ENV, ARCHIVE_BUCKET: '', ARCHIVE_MAC_KEY: 'alias/ai-activity-audit-archive' })).toEqual([
      'ARCHIVE_MAC_KEY seals the report archive, but ARCHIVE_BUCKET is not set: set both, or neither',
    ]);
  });
});
