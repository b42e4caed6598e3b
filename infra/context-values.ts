/**
 * How a context value is read, whatever its origin: cdk.json gives typed JSON values, `-c key=value`
 * gives strings, and a `reports` entry gives JSON again. One set of readers keeps the forms
 * accepted the same for the top-level keys and for every report.
 */

/** A trimmed non-empty string, or undefined for absent/empty (so `-c slackChannel=` turns Slack off). */
export function readString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** An array (cdk.json) or a comma-separated string (`-c`); undefined when it is neither. */
export function readList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // `-c emailTo='["a@x.com"]'` arrives as JSON text; accept it like the array form.
    if (trimmed.startsWith('[')) {
      try {
        return readList(JSON.parse(trimmed));
      } catch {
        return undefined;
      }
    }
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  return undefined;
}
