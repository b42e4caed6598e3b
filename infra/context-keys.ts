/**
 * Catches misspelled CDK context keys. `-c orgname=Acme` used to synthesize happily with the
 * default orgName, because a key nobody reads is silently ignored. Every context key must be one
 * the app knows or one that belongs to the CDK itself (feature flags, the CLI's own settings,
 * cached lookups); any other is a problem that names the key and the nearest known one. The same
 * goes for the keys of each entry of the `reports` list.
 */
import { ContextProvider } from 'aws-cdk-lib/cloud-assembly-schema';

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

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known key `key` most likely means: the one equal to it but for case, else the one nearest
 * by edit distance ignoring case (first in `known` on a tie), if it is near enough to be a typo
 * (at most a third of the key's letters, and at least 2, changed).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameButCase = known.find((k) => k.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3));
  for (const k of known) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance < bestDistance || (distance === bestDistance && best === undefined)) {
      best = k;
      bestDistance = distance;
    }
  }
  return best;
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

/**
 * One problem per key of a `reports` entry that a report does not take, in the order given: a
 * deployment-wide context key (`windowDays`, `alarmEmail`, …) says it belongs at the top level;
 * any other names the nearest report key, like a misspelled context key.
 */
export function unknownReportKeys(
  reportKeys: readonly string[],
  deploymentKeys: readonly string[],
  entry: Readonly<Record<string, unknown>>,
): ContextKeyProblem[] {
  const problems: ContextKeyProblem[] = [];
  for (const key of Object.keys(entry)) {
    if (reportKeys.includes(key)) continue;
    if (deploymentKeys.includes(key)) {
      problems.push({
        key,
        message: 'is set once for the whole deployment, at the top level of the context, not per report',
      });
      continue;
    }
    const nearest = nearestKey(key, reportKeys);
    const hint = nearest !== undefined ? `did you mean ${nearest}?` : `a report takes ${reportKeys.join(', ')}`;
    problems.push({ key, message: `is not a key of a report, so its value would be ignored; ${hint}` });
  }
  return problems;
}
