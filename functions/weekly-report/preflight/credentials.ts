/**
 * Where a preflight gets each org's credentials, and the check of their shape. The deployed
 * function reads the org's Secrets Manager secret (adapters/secrets.ts, the reader the reports
 * use, so a secret the check accepts is one the run accepts); the command line may instead take
 * DD_API_KEY, DD_APP_KEY, SLACK_BOT_TOKEN and TEAMS_WEBHOOKS from its environment. The check says
 * which fields are there and which are missing for the org's reports (slackBotToken when one posts
 * to Slack; the Teams webhooks have a check of their own, preflight/teams.ts), never a value.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsCredentials, parseTeamsWebhooks } from '../adapters/secrets';
import type { ReportDefinition } from '../config/report-definitions';
import type { Credentials } from '../ports';
import { type Check, fail, ok, type Verdict } from './check';

/** One org's credentials, read once for every check of the run that needs them. */
export interface CredentialSource {
  /** What the credentials check names: `secret ai-activity-audit/credentials`, `environment`. */
  readonly target: string;
  /** The credentials; throws an Error whose message names the problem (never a value). */
  load(): Promise<Credentials>;
  /** What to do about an error `load` threw. */
  fixFor(error: unknown): string;
}

/** The org's secret in Secrets Manager, `{ddApiKey, ddAppKey, slackBotToken?}`, read once. */
export function secretCredentials(client: SecretsManagerClient, secretId: string): CredentialSource {
  // A reader of our own: the reports' reader keeps what it read for the life of the environment,
  // and a check must see the secret as it is now.
  const reader = createSecretsCredentials({ client, secretId });
  let loaded: Promise<Credentials> | undefined;
  const store = `store {"ddApiKey": "…", "ddAppKey": "…", "slackBotToken": "xoxb-…"} in it (aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://credentials.json)`;
  return {
    target: `secret ${secretId}`,
    load() {
      loaded ??= reader.load();
      return loaded;
    },
    fixFor(error) {
      const text = `${error instanceof Error ? error.message : String(error)} ${causeNames(error)}`;
      if (text.includes('ResourceNotFoundException')) {
        return `create the secret ${secretId} (aws secretsmanager create-secret --name ${secretId} --secret-string file://credentials.json), or name the right one (secretName in the stack's context, SECRET_ID, --secret)`;
      }
      if (/AccessDenied/.test(text)) {
        return `allow secretsmanager:GetSecretValue on ${secretId} to the caller (and kms:Decrypt on the secret's key when it has its own)`;
      }
      if (
        /not JSON|JSON object|is missing|non-empty string|no value|holds a |is not \d+ |hexadecimal|must start with|xox/.test(
          text,
        )
      )
        return store;
      return 'check that Secrets Manager is reachable from here, in the region the stack runs in (AWS_REGION)';
    },
  };
}

/**
 * The command line's alternative: DD_API_KEY, DD_APP_KEY, SLACK_BOT_TOKEN and TEAMS_WEBHOOKS (the
 * secret's `teamsWebhooks` as JSON, `{"security": "https://…"}`) from the environment.
 */
export function environmentCredentials(env: Readonly<Record<string, string | undefined>>): CredentialSource {
  return {
    target: 'environment (DD_API_KEY, DD_APP_KEY, SLACK_BOT_TOKEN)',
    async load() {
      const value = (name: string): string | undefined => {
        const v = (env[name] ?? '').trim();
        return v === '' ? undefined : v;
      };
      const apiKey = value('DD_API_KEY');
      const appKey = value('DD_APP_KEY');
      const missing = [apiKey ? undefined : 'DD_API_KEY', appKey ? undefined : 'DD_APP_KEY'].filter(Boolean);
      if (missing.length > 0 || !apiKey || !appKey) throw new Error(`${missing.join(' and ')} not set`);
      const slack = value('SLACK_BOT_TOKEN');
      const teams = value('TEAMS_WEBHOOKS');
      return {
        ddApiKey: apiKey,
        ddAppKey: appKey,
        ...(slack ? { slackBotToken: slack } : {}),
        ...(teams ? { teamsWebhooks: parseTeamsWebhooks(parseJson(teams)) } : {}),
      };
    },
    fixFor() {
      return 'export DD_API_KEY and DD_APP_KEY (and SLACK_BOT_TOKEN for Slack, TEAMS_WEBHOOKS for Teams), or pass --secret NAME to read the deployed secret';
    },
  };
}

/** TEAMS_WEBHOOKS as JSON, or the text itself (which then reads as a map that is not an object, naming the fix). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The names along an error's cause chain (the SDK's exception names live there). */
function causeNames(error: unknown): string {
  const names: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    names.push(e.name);
    e = e.cause;
  }
  return names.join(' ');
}

/** The fields the org's reports need: both Datadog keys always, the Slack token when a report posts to Slack. */
export function credentialsCheck(source: CredentialSource, reports: readonly ReportDefinition[]): Check {
  const slackReports = reports.filter((r) => r.slack).map((r) => r.name);
  return {
    name: 'credentials',
    target: source.target,
    async run(): Promise<Verdict> {
      let credentials: Credentials;
      try {
        credentials = await source.load();
      } catch (error) {
        // The reader's message ends in its own advice (": store {…}"); the fix says it once.
        const message = (error instanceof Error ? error.message : String(error)).replace(/: store \{.*$/, '');
        return fail(message, source.fixFor(error));
      }
      const present = [
        'ddApiKey',
        'ddAppKey',
        ...(credentials.slackBotToken ? ['slackBotToken'] : []),
        ...(credentials.teamsWebhooks ? ['teamsWebhooks'] : []),
      ];
      if (slackReports.length > 0 && !credentials.slackBotToken) {
        return fail(
          `${present.join(', ')} present; slackBotToken missing, and ${listOf(slackReports)} post${slackReports.length === 1 ? 's' : ''} to Slack`,
          `add "slackBotToken": "xoxb-…" (the Slack app's Bot User OAuth Token) to ${source.target}`,
        );
      }
      if (slackReports.length > 0 && credentials.slackBotToken && !credentials.slackBotToken.startsWith('xoxb-')) {
        return fail(
          'slackBotToken is not a bot token (a bot token starts with xoxb-)',
          "use the Slack app's Bot User OAuth Token (OAuth & Permissions → Bot User OAuth Token)",
        );
      }
      return ok(`${present.join(', ')} present, as ${listOf(reports.map((r) => r.name))} need`);
    },
  };
}

/** `security`, `security and sre`, `a, b and c`. */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
