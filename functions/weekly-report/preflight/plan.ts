/**
 * Which checks a deployment's configuration calls for, in the order they are printed: per org
 * (the reports that share a secret and a Datadog site) its credentials, its Datadog keys and
 * scopes, its Slack token and channels, its Microsoft Teams webhooks; then SES for the reports
 * that send email; then the archive. Each part is a CheckPlanner; the list is open: a new channel
 * adds its planner to PLANNERS and its checks run and print like the others.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { ARCHIVE_ROOT } from '../archive/report-archive';
import { orgKey, type ReportDefinition } from '../config/report-definitions';
import { archiveCheck } from './archive';
import { type Check, type CheckResult, runChecks, skip } from './check';
import { type CredentialSource, credentialsCheck } from './credentials';
import { type DatadogPreflightOptions, datadogChecks } from './datadog';
import { sesChecks } from './ses';
import { type SlackPreflightOptions, slackChecks } from './slack';
import { teamsChecks } from './teams';

export interface PreflightContext {
  readonly reports: readonly ReportDefinition[];
  /** The archive's bucket; absent when archiving is off. */
  readonly archiveBucket?: string;
  /** Where an org's credentials come from, by its secret's name or ARN (called once per org). */
  readonly credentials: (secretId: string) => CredentialSource;
  readonly aws: {
    readonly ses: SESClient;
    readonly sesv2: SESv2Client;
    /** Absent when archiving is off. */
    readonly s3?: S3Client;
  };
  readonly datadog?: DatadogPreflightOptions;
  readonly slack?: SlackPreflightOptions;
  readonly now?: () => number;
}

/** The reports of one org and its credentials, read once for all its checks. */
export interface OrgPreflight {
  readonly reports: readonly ReportDefinition[];
  readonly credentials: CredentialSource;
}

/** Adds the checks of one part of a deployment. */
export type CheckPlanner = (context: PreflightContext, orgs: readonly OrgPreflight[]) => Check[];

const orgPlanner: CheckPlanner = (context, orgs) =>
  orgs.flatMap((org) => [
    credentialsCheck(org.credentials, org.reports),
    ...datadogChecks(org.reports, org.credentials, context.datadog),
    ...slackChecks(org.reports, org.credentials, context.slack),
  ]);

/** Microsoft Teams: each org's webhook URLs (present and https; a workflow cannot be called without posting). */
const teamsPlanner: CheckPlanner = (_context, orgs) => orgs.flatMap((org) => teamsChecks(org.reports, org.credentials));

const sesPlanner: CheckPlanner = (context) => sesChecks(context.reports, context.aws);

const archivePlanner: CheckPlanner = (context) => {
  if (context.archiveBucket && context.aws.s3) {
    return [
      archiveCheck({
        client: context.aws.s3,
        bucket: context.archiveBucket,
        ...(context.now ? { now: context.now } : {}),
      }),
    ];
  }
  return [
    {
      name: 'archive',
      target: `${ARCHIVE_ROOT}/`,
      run: async () =>
        skip(
          'archiving is off (no ARCHIVE_BUCKET)',
          "set ARCHIVE_BUCKET to the stack's ArchiveBucketName output to check the archive",
        ),
    },
  ];
};

/** Every part of a deployment that has checks, in the order they print. */
export const PLANNERS: readonly CheckPlanner[] = [orgPlanner, teamsPlanner, sesPlanner, archivePlanner];

/** The checks `context` calls for. */
export function planChecks(context: PreflightContext, planners: readonly CheckPlanner[] = PLANNERS): Check[] {
  const orgs = new Map<string, ReportDefinition[]>();
  for (const report of context.reports) {
    const key = orgKey(report);
    orgs.set(key, [...(orgs.get(key) ?? []), report]);
  }
  const orgPreflights: OrgPreflight[] = [...orgs.values()].map((reports) => ({
    reports,
    credentials: context.credentials((reports[0] as ReportDefinition).secretId),
  }));
  return planners.flatMap((planner) => planner(context, orgPreflights));
}

/** Plans and runs every check, all ended by `deadline` (epoch ms). */
export function runPreflight(context: PreflightContext, deadline: number): Promise<CheckResult[]> {
  return runChecks(planChecks(context), deadline, context.now);
}
