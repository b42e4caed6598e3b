/**
 * Misspelled keys: a key nobody reads is silently ignored, so every key a configuration gives
 * must be one that is read, and a problem names the known key it most likely means. Used for the
 * keys of a reports document (parse-reports.ts) and, by the stack, for the CDK context's keys.
 */

export interface KeyProblem {
  /** The unknown key as it was given. */
  readonly key: string;
  readonly message: string;
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
 * One problem per key of a `reports` entry that a report does not take, in the order given: a
 * deployment-wide key (`windowDays`, `alarmEmail`, …) says it belongs at the top level; any other
 * names the nearest report key, like a misspelled context key.
 */
export function unknownReportKeys(
  reportKeys: readonly string[],
  deploymentKeys: readonly string[],
  entry: Readonly<Record<string, unknown>>,
): KeyProblem[] {
  const problems: KeyProblem[] = [];
  for (const key of Object.keys(entry)) {
    if (reportKeys.includes(key)) continue;
    if (deploymentKeys.includes(key)) {
      problems.push({
        key,
        message:
          'is set once for the whole deployment, at the top level of the context (in a reports document, in its defaults), not per report',
      });
      continue;
    }
    const nearest = nearestKey(key, reportKeys);
    const hint = nearest !== undefined ? `did you mean ${nearest}?` : `a report takes ${reportKeys.join(', ')}`;
    problems.push({ key, message: `is not a key of a report, so its value would be ignored; ${hint}` });
  }
  return problems;
}
