/**
 * The Slack checks of one org: the bot token works (`auth.test`, which needs no scope, and whose
 * answer lists the token's scopes: posting needs chat:write), and the bot is a member of each
 * report's channel (`conversations.info` → `is_member`; it needs channels:read for a public
 * channel, groups:read for a private one, which posting does not need, so without them the check
 * is skipped and says so). Both go through the reports' own client (adapters/slack-post.ts: its
 * retries of 5xx, 429s rejected), each request ended by the check's deadline. Nothing is posted.
 */
import { ErrorCode, type WebClient } from '@slack/web-api';
import { createSlackWebClient } from '../adapters/slack-post';
import type { ReportDefinition } from '../config/report-definitions';
import { signalUntil } from '../deadline';
import type { Logger } from '../ports';
import { type Check, fail, ok, skip, type Verdict } from './check';
import { type CredentialSource, listOf } from './credentials';

/** One request to Slack never takes longer than this, nor past the check's deadline. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface SlackPreflightOptions {
  /** The transport under the client. @default the global fetch */
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
}

/** What auth.test told about the token, for the channel checks. */
interface TokenFacts {
  readonly token: string;
  /** The bot's user name, for the invite command. */
  readonly botName?: string;
}

/** The org's Slack checks: its token once per Slack API URL, then each channel its reports post to. */
export function slackChecks(
  reports: readonly ReportDefinition[],
  credentials: CredentialSource,
  options: SlackPreflightOptions = {},
): Check[] {
  const checks: Check[] = [];
  const byApi = new Map<string, ReportDefinition[]>();
  for (const r of reports) {
    if (!r.slack) continue;
    const key = r.slack.apiUrl ?? '';
    byApi.set(key, [...(byApi.get(key) ?? []), r]);
  }
  for (const [apiUrl, apiReports] of byApi) {
    const token = new SlackToken(credentials, apiUrl || undefined, options);
    checks.push({
      name: 'slack token',
      target: `${credentials.target}${apiUrl ? ` at ${new URL(apiUrl).host}` : ''}`,
      run: (deadline) => token.verdict(deadline),
    });
    const channels = new Map<string, string[]>();
    for (const r of apiReports) {
      const channel = r.slack?.channel as string;
      channels.set(channel, [...(channels.get(channel) ?? []), r.name]);
    }
    for (const [channel, names] of channels) {
      checks.push({
        name: 'slack channel',
        target: `${channel}, for ${listOf(names)}`,
        run: (deadline) => token.channel(channel, deadline),
      });
    }
  }
  return checks;
}

/** One token at one API URL: auth.test once, and the channel checks after it. */
class SlackToken {
  private result: Promise<{ verdict: Verdict; facts?: TokenFacts }> | undefined;

  constructor(
    private readonly credentials: CredentialSource,
    private readonly apiUrl: string | undefined,
    private readonly options: SlackPreflightOptions,
  ) {}

  async verdict(deadline: number): Promise<Verdict> {
    return (await this.authTest(deadline)).verdict;
  }

  private authTest(deadline: number): Promise<{ verdict: Verdict; facts?: TokenFacts }> {
    this.result ??= this.runAuthTest(deadline);
    return this.result;
  }

  private client(token: string, deadline: number): WebClient {
    const transport = this.options.fetch ?? globalThis.fetch;
    return createSlackWebClient(token, {
      ...(this.apiUrl ? { slackApiUrl: this.apiUrl } : {}),
      ...(this.options.logger ? { log: this.options.logger } : {}),
      fetch: (url, init) => {
        const bound = signalUntil(deadline, REQUEST_TIMEOUT_MS);
        const signal = init?.signal ? AbortSignal.any([init.signal, bound]) : bound;
        return transport(url, { ...init, signal });
      },
    });
  }

  private async runAuthTest(deadline: number): Promise<{ verdict: Verdict; facts?: TokenFacts }> {
    let token: string | undefined;
    try {
      token = (await this.credentials.load()).slackBotToken;
    } catch {
      return { verdict: skip(`not checked: no credentials (${this.credentials.target}: see the credentials check)`) };
    }
    if (!token)
      return { verdict: skip('not checked: the credentials hold no slackBotToken (see the credentials check)') };
    try {
      const answer = await this.client(token, deadline).auth.test();
      const botName = typeof answer.user === 'string' ? answer.user : undefined;
      const facts: TokenFacts = { token, ...(botName ? { botName } : {}) };
      const scopes = answer.response_metadata?.scopes;
      const who = `bot ${botName ? `@${botName}` : '(unnamed)'} in workspace ${answer.team ?? answer.team_id ?? '?'}`;
      if (scopes && !scopes.includes('chat:write')) {
        return {
          verdict: fail(
            `${who}; the token lacks chat:write (it has ${scopes.join(', ') || 'no scopes'})`,
            "add chat:write to the Slack app's Bot Token Scopes (OAuth & Permissions), reinstall the app, and store the new token",
          ),
          facts,
        };
      }
      return { verdict: ok(`${who}${scopes ? `; scopes ${scopes.join(', ')}` : ''}`), facts };
    } catch (error) {
      const { code, detail } = slackError(error, 'auth.test');
      const refused = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired'];
      return {
        verdict: fail(
          detail,
          refused.includes(code)
            ? "set slackBotToken to the Slack app's Bot User OAuth Token (xoxb-…) for this workspace; reinstalling the app issues a new one"
            : reachFix(code, this.apiUrl),
        ),
      };
    }
  }

  async channel(channel: string, deadline: number): Promise<Verdict> {
    const { verdict, facts } = await this.authTest(deadline);
    if (verdict.status === 'fail' && !facts)
      return skip('not checked: the token did not pass (see the slack token check)');
    if (!facts) return skip(verdict.detail);
    const invite = `/invite @${facts.botName ?? '<the app>'}`;
    try {
      const answer = await this.client(facts.token, deadline).conversations.info({ channel });
      const info = answer.channel;
      const name = info?.name ? `#${info.name}` : channel;
      if (info?.is_archived) {
        return fail(`${name} is archived`, `unarchive ${name}, or set the report's slackChannel to another channel`);
      }
      if (info?.is_member === true) return ok(`${name}${info.is_private ? ' (private)' : ''}: the bot is a member`);
      if (info?.is_member === false) {
        return fail(
          `${name}: the bot is not a member, so posts fail with not_in_channel`,
          `invite it: ${invite} in ${name}`,
        );
      }
      return skip(`${name}: Slack did not say whether the bot is a member`, `make sure it is: ${invite} in ${name}`);
    } catch (error) {
      const { code, detail } = slackError(error, 'conversations.info');
      if (code === 'missing_scope') {
        return skip(
          `membership not checked: the token may not read channel details (${detail})`,
          "add channels:read (and groups:read for a private channel) to the app's Bot Token Scopes and reinstall, or just make sure the bot is in the channel",
        );
      }
      if (code === 'channel_not_found') {
        return fail(
          `no channel ${channel} that the bot can see`,
          `check the channel ID (channel details → About → Channel ID, not the #name); a private channel stays hidden until the bot is invited: ${invite}`,
        );
      }
      return fail(detail, reachFix(code, this.apiUrl));
    }
  }
}

/** Slack's error code and a one-line description of a @slack/web-api error (no token in it). */
function slackError(error: unknown, method: string): { code: string; detail: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    data?: { error?: unknown; needed?: unknown };
    statusCode?: unknown;
    retryAfter?: unknown;
    original?: { message?: unknown };
  };
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') {
    const needed = typeof e.data.needed === 'string' ? `, needs ${e.data.needed}` : '';
    return { code: e.data.error, detail: `Slack answered ${method} with ${e.data.error}${needed}` };
  }
  if (e.code === ErrorCode.RateLimitedError) {
    return { code: 'ratelimited', detail: `Slack rate-limited ${method} (Retry-After ${String(e.retryAfter)} s)` };
  }
  if (e.code === ErrorCode.HTTPError) {
    return { code: `http_${String(e.statusCode)}`, detail: `Slack answered HTTP ${String(e.statusCode)} to ${method}` };
  }
  if (e.code === ErrorCode.RequestError) {
    return {
      code: 'request_error',
      detail: `could not reach Slack for ${method}: ${String(e.original?.message ?? 'request failed').slice(0, 120)}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'unknown', detail: `Slack ${method} failed: ${message.slice(0, 160)}` };
}

function reachFix(code: string, apiUrl: string | undefined): string {
  if (code === 'ratelimited') return 'run the check again in a minute';
  return `check that ${apiUrl ? new URL(apiUrl).host : 'slack.com'} is reachable from here (proxy, firewall, a VPC without a NAT gateway), then run the check again`;
}
