/**
 * Where credentials may be sent: the rule for an API base URL that replaces the Datadog site or
 * Slack's own (DD_API_URL, SLACK_API_URL). It must be `https:`, so the keys and the token never
 * cross a network in clear; plain `http:` is allowed only to a loopback host (127.0.0.1, ::1,
 * localhost), which is where the tests' stand-ins listen. Checked at cold start (config/env.ts,
 * naming the variable) and again by the Datadog client itself (adapters/datadog/client.ts), so the
 * command line's DD_API_URL is held to it too. A leaf: both import it without a circle.
 */

/** Hosts that never leave the machine (URL.hostname spells IPv6 in brackets). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** What is wrong with `value` as an API base URL, or undefined when credentials may go there. */
export function apiBaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return undefined;
  return url.protocol === 'http:'
    ? 'must be https: (plain http only to 127.0.0.1, ::1 or localhost, for local stand-ins)'
    : `must be an https: URL, not ${url.protocol}`;
}
