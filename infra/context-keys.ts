/**
 * Catches misspelled CDK context keys. `-c orgname=Acme` used to synthesize happily with the
 * default orgName, because a key nobody reads is silently ignored. Every context key must be one
 * the app knows or one that belongs to the CDK itself (feature flags, the CLI's own settings,
 * cached lookups); any other is a problem that names the key and the nearest known one (the
 * reports parser does the same for the keys of each report, config/keys.ts).
 */
import { ContextProvider } from 'aws-cdk-lib/cloud-assembly-schema';
import { nearestKey } from '../functions/weekly-report/config/keys';

export interface ContextKeyProblem {
  /** The unknown key as it was given. */
  readonly key: string;
  readonly message: string;
}

/**
 * Keys the CDK puts in context or reads from it: feature flags (`@aws-cdk/…`,
 * `@aws-cdk-containers/…`), the app's settings (`aws:cdk:…`), the CLI's (`aws-cdk:…`, `cdk-…`),
 * `assets-ecr-repository-name`, and what `cdk acknowledge` and `cdk cli-telemetry` write.
 */
const CDK_KEY_PREFIXES = ['@aws-cdk', 'aws:cdk:', 'aws-cdk:', 'cdk-', 'assets-'] as const;
const CDK_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry']);
/** Cached lookups in cdk.context.json are keyed `<provider>:<query>`, e.g. `availability-zones:account=…`. */
const LOOKUP_PREFIXES = Object.values(ContextProvider).map((provider) => `${provider}:`);

/** True for a context key that belongs to the CDK rather than to this app. */
export function isCdkContextKey(key: string): boolean {
  return (
    CDK_KEYS.has(key) ||
    CDK_KEY_PREFIXES.some((prefix) => key.startsWith(prefix)) ||
    LOOKUP_PREFIXES.some((prefix) => key.startsWith(prefix))
  );
}

/**
 * One problem per key of `context` that is neither in `known` nor the CDK's, in the order given.
 * `known` is the app's own list (CONTEXT_KEYS); nothing else is taken as known.
 */
export function unknownContextKeys(
  known: readonly string[],
  context: Readonly<Record<string, unknown>>,
): ContextKeyProblem[] {
  const problems: ContextKeyProblem[] = [];
  for (const key of Object.keys(context)) {
    if (known.includes(key) || isCdkContextKey(key)) continue;
    const nearest = nearestKey(key, known);
    const hint = nearest !== undefined ? `did you mean ${nearest}?` : `the keys it reads are ${known.join(', ')}`;
    problems.push({ key, message: `is not a context key of this app, so its value would be ignored; ${hint}` });
  }
  return problems;
}
