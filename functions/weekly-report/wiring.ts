/**
 * The real adapters behind each report, built by the handler once per execution environment: the
 * AWS clients (their endpoints from the SDK's standard AWS_ENDPOINT_URL_* variables), and for each
 * org (one secret and site) its credentials read once, one Datadog audit source, usage-metric
 * source and Teams directory, and one Slack client per API URL; for each report its email sender,
 * its Slack channel, its Microsoft Teams channel (the workflow webhook named in the secret's
 * `teamsWebhooks`) and its archive prefix, sealed with the archive's MAC key when there is one. A
 * failed secret read is not kept: the next invocation tries again (the secret may be fixed by
 * then). A Teams channel without a usable URL in the secret fails alone, naming the fix; the
 * report's other channels go out.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SESClient } from '@aws-sdk/client-ses';
import { createDatadogAuditSource } from './adapters/datadog/audit-source';
import { createDatadogMetricsSource } from './adapters/datadog/metrics-source';
import { createDatadogTeamDirectory } from './adapters/datadog/team-directory';
import { createDynamoDbLedger } from './adapters/delivery-ledger';
import { createKmsMacSigner } from './adapters/kms-mac';
import { createS3BlobStore } from './adapters/s3-blob-store';
import { createSecretsCredentials, teamsWebhookOf } from './adapters/secrets';
import { createSesEmailSender } from './adapters/ses-email';
import { createSlackSender, createSlackWebClient } from './adapters/slack-post';
import { createTeamsSender, unusableTeamsSender } from './adapters/teams-webhook';
import { createReportArchive, parseS3Url, type ReportArchive } from './archive/report-archive';
import { orgKey, type ReportDefinition } from './config/report-definitions';
import { SlackDeliveryError } from './errors';
import type { BlobStore, Credentials, DeliveryLedger, Logger, MacSigner, SlackSender, TeamsSender } from './ports';
import type { Link } from './render/view';
import type { ReportWiring } from './run/invocation';
import type { GroupDeps, PlannedReport } from './run/report-group';

export interface AwsClients {
  readonly secrets: SecretsManagerClient;
  readonly dynamodb: DynamoDBClient;
  readonly ses: SESClient;
  /** Absent when archiving is off. */
  readonly s3?: S3Client;
  /** Absent when the archive is not signed (no ARCHIVE_MAC_KEY). */
  readonly kms?: KMSClient;
}

/** What one org's reports share: its Datadog readers and its Slack senders. */
interface OrgClients {
  readonly readers: Pick<GroupDeps, 'source' | 'usage' | 'teams'>;
  readonly slackToken?: string;
  readonly slackSenders: Map<string, SlackSender>;
  /** The secret's Teams workflow webhooks; senders are made per channel, on first use. */
  readonly teamsWebhooks: Pick<Credentials, 'teamsWebhooks'>;
  readonly teamsSenders: Map<string, TeamsSender>;
}

export interface WiringOptions {
  readonly aws: AwsClients;
  readonly idempotencyTable: string;
  readonly archiveBucket?: string;
  /** The KMS HMAC key that seals the archive (with `aws.kms`). */
  readonly archiveMacKey?: string;
  readonly logger: Logger;
  readonly now: () => number;
}

/** The ledger every report's channels are claimed in. */
export function createLedger(options: WiringOptions): DeliveryLedger {
  return createDynamoDbLedger({ client: options.aws.dynamodb, tableName: options.idempotencyTable });
}

const missingToken = (): SlackDeliveryError =>
  new SlackDeliveryError('SLACK_CHANNEL is set but the credentials secret has no slackBotToken: add it', {
    code: 'missing_token',
  });

/** Wires reports to the real adapters, each org's clients made on first use and kept. */
export function createWiring(options: WiringOptions): ReportWiring {
  const { aws, logger, now } = options;
  const store: BlobStore | undefined =
    options.archiveBucket && aws.s3 ? createS3BlobStore({ client: aws.s3, bucket: options.archiveBucket }) : undefined;
  // One signer for every report's archive: each seals and checks its own weeks with the one key.
  const signer: MacSigner | undefined =
    store && options.archiveMacKey && aws.kms
      ? createKmsMacSigner({ client: aws.kms, keyId: options.archiveMacKey })
      : undefined;
  const orgs = new Map<string, Promise<OrgClients>>();

  const orgClients = (report: ReportDefinition): Promise<OrgClients> => {
    const key = orgKey(report);
    let clients = orgs.get(key);
    if (!clients) {
      const credentials = createSecretsCredentials({ client: aws.secrets, secretId: report.secretId });
      clients = credentials.load().then((creds) => {
        const datadog = {
          apiKey: creds.ddApiKey,
          appKey: creds.ddAppKey,
          site: report.site,
          ...(report.datadogApiUrl ? { baseUrl: report.datadogApiUrl } : {}),
          logger,
        };
        return {
          readers: {
            source: createDatadogAuditSource(datadog),
            // The same keys read the MCP usage metric (tools, clients); without timeseries_query the report says so.
            usage: createDatadogMetricsSource(datadog),
            // Only reports scoped to teams ask it anything (the key then needs teams_read).
            teams: createDatadogTeamDirectory(datadog),
          },
          ...(creds.slackBotToken ? { slackToken: creds.slackBotToken } : {}),
          slackSenders: new Map(),
          teamsWebhooks: creds.teamsWebhooks ? { teamsWebhooks: creds.teamsWebhooks } : {},
          teamsSenders: new Map(),
        };
      });
      clients.catch(() => orgs.delete(key));
      orgs.set(key, clients);
    }
    return clients;
  };

  const slackSender = (org: OrgClients, apiUrl: string | undefined): SlackSender => {
    let sender = org.slackSenders.get(apiUrl ?? '');
    if (sender) return sender;
    sender = org.slackToken
      ? createSlackSender({
          client: createSlackWebClient(org.slackToken, { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), log: logger }),
          logger,
          now,
        })
      : // Email still goes out; only the Slack channel fails, naming the fix.
        {
          post: () => Promise.reject(missingToken()),
          find: () => Promise.reject(missingToken()),
          findReply: () => Promise.reject(missingToken()),
        };
    org.slackSenders.set(apiUrl ?? '', sender);
    return sender;
  };

  const teamsSender = (org: OrgClients, channel: string): TeamsSender => {
    let sender = org.teamsSenders.get(channel);
    if (sender) return sender;
    const webhook = teamsWebhookOf(org.teamsWebhooks, channel);
    sender =
      'url' in webhook
        ? createTeamsSender({ url: webhook.url, channel, logger, now })
        : // Email and Slack still go out; only the Teams channel fails, naming the fix.
          unusableTeamsSender(channel, webhook.problem);
    org.teamsSenders.set(channel, sender);
    return sender;
  };

  const plan = (report: ReportDefinition, org: OrgClients, region: string | undefined): PlannedReport => {
    const archive = store ? createReportArchive(store, report.key, signer ? { signer } : {}) : undefined;
    return {
      report,
      ...(report.email
        ? {
            email: createSesEmailSender({
              client: aws.ses,
              from: report.email.from,
              to: report.email.to,
              ...(report.email.configurationSet ? { configurationSet: report.email.configurationSet } : {}),
            }),
          }
        : {}),
      ...(report.slack
        ? { slack: { channel: report.slack.channel, sender: slackSender(org, report.slack.apiUrl) } }
        : {}),
      ...(report.msTeams ? { msTeams: { sender: teamsSender(org, report.msTeams.channel) } } : {}),
      ...(archive ? { archive, archiveCopy: (windowTo: string) => archiveCopyLink(archive, windowTo, region) } : {}),
    };
  };

  return {
    async wire(reports) {
      const first = reports[0];
      if (!first) throw new Error('a fetch group has at least one report');
      const org = await orgClients(first);
      const region = await aws.s3?.config.region().catch(() => undefined);
      return { readers: org.readers, plans: reports.map((r) => plan(r, org, region)) };
    },
  };
}

/**
 * The S3 console's view of the archived week (its folder: summary, email, Slack message), for the
 * Teams card's button; none for an archive that is not in S3.
 */
export function archiveCopyLink(
  archive: ReportArchive,
  windowTo: string,
  region: string | undefined,
): Link | undefined {
  const s3 = parseS3Url(archive.location);
  if (!s3) return undefined;
  const query = new URLSearchParams({ ...(region ? { region } : {}), prefix: `${s3.prefix}${windowTo}/` });
  return {
    url: `https://console.aws.amazon.com/s3/buckets/${encodeURIComponent(s3.bucket)}?${query.toString()}`,
    text: 'Open the archived report (AWS console)',
  };
}
