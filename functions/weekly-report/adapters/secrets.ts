/**
 * Credentials from one Secrets Manager secret, JSON `{ddApiKey, ddAppKey, slackBotToken?,
 * teamsWebhooks?}`, read
 * through Powertools Parameters over an injected SecretsManagerClient (its endpoint comes from
 * the SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER) and cached for the life of the execution
 * environment. Every value read is registered with the redaction point (redact.ts) before it is
 * checked, so it is masked in whatever leaves the process from then on. Each field is checked for
 * its shape (CREDENTIAL_SHAPES): a value pasted with a line break, a NUL or a space, or cut short,
 * fails here with a message naming the field, never at a request header with a message quoting it.
 *
 * `teamsWebhooks` maps Teams channel names (a report's `teamsChannel`) to workflow webhook URLs.
 * Each URL is a credential (its `sig` parameter is the workflow's only key): its path and query are
 * registered with the redaction point, and each entry is checked on its own, so a bad one fails
 * only the Teams channel that names it (TeamsWebhooks.problems), never the secret.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { apiBaseUrlProblem } from '../config/api-url';
import { TEAMS_CHANNEL_NAME } from '../config/report-definitions';
import { SecretError } from '../errors';
import type { Credentials, TeamsWebhooks } from '../ports';
import { registerSecret } from '../redact';

/** Long enough to mean "once per cold start": Lambda recycles environments well within a day. */
const CACHE_SECONDS = 24 * 60 * 60;

export interface CredentialsSource {
  /** Reads the secret on first use and returns the cached credentials after that. */
  load(): Promise<Credentials>;
}

export function createSecretsCredentials(options: {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
}): CredentialsSource {
  const provider = new SecretsProvider({ awsSdkV3Client: options.client });
  let pending: Promise<Credentials> | undefined;
  return {
    load() {
      pending ??= read().catch((error: unknown) => {
        // A failed read is not cached: the next invocation tries again (the secret may be fixed by then).
        pending = undefined;
        throw error;
      });
      return pending;
    },
  };

  async function read(): Promise<Credentials> {
    let value: string | Uint8Array | undefined;
    try {
      value = await provider.get(options.secretId, { maxAge: CACHE_SECONDS });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const name = cause instanceof Error ? cause.name : 'Error';
      const hint =
        name === 'ResourceNotFoundException'
          ? 'create it or fix SECRET_ID'
          : name === 'AccessDeniedException'
            ? 'grant secretsmanager:GetSecretValue on it to the function role'
            : 'check SECRET_ID and the function role';
      throw new SecretError(`Could not read secret ${JSON.stringify(options.secretId)} (${name}): ${hint}`, {
        cause: error,
      });
    }
    if (value === undefined) {
      throw new SecretError(
        `Secret ${JSON.stringify(options.secretId)} has no value: store {ddApiKey, ddAppKey, slackBotToken?}`,
      );
    }
    return parseCredentials(typeof value === 'string' ? value : Buffer.from(value).toString('utf8'), options.secretId);
  }
}

/**
 * What each field must look like. Sources (docs.datadoghq.com, 2026): API keys are shown as 32
 * hexadecimal characters (Key Management API, "Create an API key": `1234512345123456abcabc912349abcd`)
 * and application keys as 40 (`1234512345123459cda4eb9ced49a3d84fd0138c`); both lower case. The
 * "Personal Access Tokens" page adds that new application keys carry the prefix `ddapp_`, and that
 * a personal (`ddpat_`) or service (`ddsat_`) access token may be sent in the application-key
 * header: their length and alphabet after the prefix are not documented, so only visible ASCII is
 * required there. Slack documents bot tokens as starting `xoxb-` (docs.slack.dev "Tokens"),
 * followed in practice by digits, letters and dashes; a rotating token (`xoxe.xoxb-…`) expires
 * after 12 hours, which a scheduled job without the refresh token cannot renew.
 */
export const CREDENTIAL_SHAPES = {
  ddApiKey: {
    test: (value: string) => /^[0-9a-f]{32}$/.test(value),
    expected: '32 lower-case hexadecimal characters (0-9, a-f), the API key as Datadog shows it',
  },
  ddAppKey: {
    test: (value: string) => /^[0-9a-f]{40}$/.test(value) || /^dd(app|pat|sat)_[\x21-\x7e]{8,500}$/.test(value),
    expected:
      '40 lower-case hexadecimal characters, or a key or token starting ddapp_, ddpat_ or ddsat_, as Datadog shows it',
  },
  slackBotToken: {
    test: (value: string) => /^xoxb-[A-Za-z0-9-]{1,500}$/.test(value),
    expected:
      'a Slack bot token starting xoxb- (OAuth & Permissions → Bot User OAuth Token), not a rotating xoxe. token',
  },
} as const;

type CredentialField = keyof typeof CREDENTIAL_SHAPES;

/** What is wrong with a value of `field` (never the value itself), or undefined when it has the field's shape. */
function shapeProblem(field: CredentialField, value: string): string | undefined {
  if (CREDENTIAL_SHAPES[field].test(value)) return undefined;
  const holds = [
    /[\r\n]/.test(value) && 'a line break',
    value.includes('\0') && 'a NUL character',
    /[^\S\r\n]/.test(value) && 'a space or tab',
    // Other control characters (escape, bell, DEL…): a header would refuse them as well.
    /(?![\r\n\t\0])\p{Cc}/u.test(value) && 'a control character',
  ].filter(Boolean);
  const { expected } = CREDENTIAL_SHAPES[field];
  return holds.length > 0
    ? `${field} holds ${holds.join(' and ')}: store ${expected}`
    : `${field} is not ${expected} (it has ${value.length} characters)`;
}

/**
 * Validates the secret's JSON and each field's shape; the error names the offending fields,
 * never the values. Every string field is registered with the redaction point first.
 */
export function parseCredentials(text: string, secretId: string): Credentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message can quote the text, so it is not kept as the cause.
    throw new SecretError(
      `Secret ${JSON.stringify(secretId)} is not JSON: store {"ddApiKey": "…", "ddAppKey": "…", "slackBotToken": "xoxb-…"}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SecretError(
      `Secret ${JSON.stringify(secretId)} must be a JSON object {ddApiKey, ddAppKey, slackBotToken?}`,
    );
  }
  const record = json as Record<string, unknown>;
  // Registered before any check: a value that fails one is masked all the same wherever it might surface.
  for (const value of Object.values(record)) if (typeof value === 'string') registerSecret(value);
  const problems: string[] = [];
  const read = (field: CredentialField, required: boolean): string | undefined => {
    const raw = record[field];
    if (raw === undefined || raw === null) {
      if (required) problems.push(`${field} is missing or not a non-empty string`);
      return undefined;
    }
    if (typeof raw !== 'string' || raw.trim() === '') {
      problems.push(
        required ? `${field} is missing or not a non-empty string` : `${field} must be a non-empty string when present`,
      );
      return undefined;
    }
    // Spaces and line breaks around a pasted value are dropped; inside it they are refused.
    const value = raw.trim();
    const problem = shapeProblem(field, value);
    if (problem !== undefined) problems.push(problem);
    return value;
  };
  const ddApiKey = read('ddApiKey', true);
  const ddAppKey = read('ddAppKey', true);
  const slackBotToken = read('slackBotToken', false);
  if (problems.length > 0 || ddApiKey === undefined || ddAppKey === undefined) {
    throw new SecretError(`Secret ${JSON.stringify(secretId)}: ${problems.join('; ')}`);
  }
  const teamsWebhooks = record.teamsWebhooks === undefined ? undefined : parseTeamsWebhooks(record.teamsWebhooks);
  return {
    ddApiKey,
    ddAppKey,
    ...(slackBotToken !== undefined ? { slackBotToken } : {}),
    ...(teamsWebhooks !== undefined ? { teamsWebhooks } : {}),
  };
}

/** Longer than any workflow URL Teams makes (about 300 characters). */
const MAX_WEBHOOK_URL = 2_048;
/** Hosts of the retired Office 365 connectors' incoming webhooks. */
const RETIRED_HOSTS = /(^|\.)(webhook\.office\.com|outlook\.office\.com|outlook\.office365\.com)$/i;

const WEBHOOKS_EXAMPLE =
  '{"teamsWebhooks": {"security": "https://…"}} (the URL of the workflow\'s trigger, docs/teams.md)';

/**
 * Reads `teamsWebhooks`: an object of channel name → workflow URL. Every URL's path and query (its
 * workflow id and signature) is registered with the redaction point before it is checked; each
 * entry's problem names the entry, never its value.
 */
export function parseTeamsWebhooks(raw: unknown): TeamsWebhooks {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    if (typeof raw === 'string') registerSecret(raw);
    return {
      urls: {},
      problems: {},
      problem: `teamsWebhooks must be an object of channel name → URL, e.g. ${WEBHOOKS_EXAMPLE}`,
    };
  }
  const urls: Record<string, string> = {};
  const problems: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') registerWebhook(value);
    const problem = teamsWebhookProblem(name, value);
    if (problem !== undefined) problems[name] = problem;
    else urls[name] = (value as string).trim();
  }
  return { urls, problems };
}

/**
 * Registers what of a webhook URL is secret: everything after its origin (the workflow id and the
 * signature), and the signature alone. Masking any 12 characters of that masks the URL wherever it
 * is written; the origin alone (a Logic Apps host) is no secret, and registering it would mask any
 * other URL of the same host. A value that is no URL is registered whole.
 */
function registerWebhook(value: string): void {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    registerSecret(value);
    return;
  }
  registerSecret(`${url.pathname}${url.search}`);
  const sig = url.searchParams.get('sig');
  if (sig) registerSecret(sig);
}

/** What is wrong with `teamsWebhooks[name]` (never the value), or undefined when it can be posted to. */
export function teamsWebhookProblem(name: string, value: unknown): string | undefined {
  const entry = `teamsWebhooks.${TEAMS_CHANNEL_NAME.test(name) ? name : JSON.stringify(name.slice(0, 64))}`;
  if (!TEAMS_CHANNEL_NAME.test(name)) return `${entry}: a channel name is 1-64 of letters, digits, _ and -`;
  if (typeof value !== 'string' || value.trim() === '')
    return `${entry} must be the workflow's URL, a non-empty string`;
  const text = value.trim();
  if (/[\s\p{Cc}]/u.test(text))
    return `${entry} holds a space, a line break or a control character: store the URL alone`;
  if (text.length > MAX_WEBHOOK_URL) return `${entry} is ${text.length} characters, longer than any workflow URL`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${entry} is not a URL`;
  }
  // Plain http only to a loopback stand-in, as for every API base URL (config/api-url.ts).
  const insecure = apiBaseUrlProblem(text);
  if (insecure !== undefined) return `${entry} ${insecure}`;
  if (url.username !== '' || url.password !== '')
    return `${entry} carries a user name or password: store the workflow's URL as Teams shows it`;
  if (RETIRED_HOSTS.test(url.hostname)) {
    return `${entry} is an Office 365 connector's incoming webhook, which Microsoft retired: create a workflow ("Post to a channel when a webhook request is received") and store its URL (docs/teams.md)`;
  }
  return undefined;
}

/** The URL of Teams channel `channel` in `credentials`, or what stops it from being posted to (never a value). */
export function teamsWebhookOf(
  credentials: Pick<Credentials, 'teamsWebhooks'>,
  channel: string,
): { readonly url: string } | { readonly problem: string } {
  const webhooks = credentials.teamsWebhooks;
  if (webhooks === undefined) {
    return {
      problem: `the credentials secret has no teamsWebhooks: add ${WEBHOOKS_EXAMPLE.replace('security', channel)}`,
    };
  }
  if (webhooks.problem !== undefined) return { problem: webhooks.problem };
  const url = webhooks.urls[channel];
  if (url !== undefined) return { url };
  return {
    problem:
      webhooks.problems[channel] ??
      `the credentials secret's teamsWebhooks has no entry ${JSON.stringify(channel)}: add "${channel}": "https://…" (the workflow's URL, docs/teams.md)`,
  };
}
