/**
 * Credentials from one Secrets Manager secret, JSON `{ddApiKey, ddAppKey, slackBotToken?}`, read
 * through Powertools Parameters over an injected SecretsManagerClient (its endpoint comes from
 * the SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER) and cached for the life of the execution
 * environment. Errors name the secret and the missing field, never a value.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from '../errors';
import type { Credentials } from '../ports';

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

/** Validates the secret's JSON; the error names the offending fields, never the values. */
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
  const problems: string[] = [];
  for (const field of ['ddApiKey', 'ddAppKey']) {
    if (typeof record[field] !== 'string' || (record[field] as string).trim() === '') {
      problems.push(`${field} is missing or not a non-empty string`);
    }
  }
  const slack = record.slackBotToken;
  if (slack !== undefined && slack !== null && (typeof slack !== 'string' || slack.trim() === '')) {
    problems.push('slackBotToken must be a non-empty string when present');
  }
  if (problems.length > 0) {
    throw new SecretError(`Secret ${JSON.stringify(secretId)}: ${problems.join('; ')}`);
  }
  return {
    ddApiKey: (record.ddApiKey as string).trim(),
    ddAppKey: (record.ddAppKey as string).trim(),
    ...(typeof slack === 'string' ? { slackBotToken: slack.trim() } : {}),
  };
}
