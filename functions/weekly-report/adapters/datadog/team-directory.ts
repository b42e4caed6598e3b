/**
 * TeamDirectory over Datadog Teams (`v2.TeamsApi`, teams-read.ts): a team handle becomes
 * the team and every one of its members, read at run time, under the other Datadog sources' rules
 * (retry.ts: deadline, 429 waits, backoff, a limiter of its own, a circuit breaker).
 *
 * - Finding a team: `listTeams` with `filter[keyword]` set to the handle. Datadog's keyword
 *   matches names, handles and members' e-mails alike, so the search pages to its end and keeps
 *   the team whose handle is the one asked for: exactly, else the one that differs only in case
 *   (handles are lower-case slugs; two such teams are ambiguous and fail).
 * - Reading its members: `getTeamMemberships`, `page[size]` at most 100 (the API's maximum),
 *   `page[number]` from 0, until a page shorter than the size, as the client's own pagination
 *   helper stops. A member counts once (pages read while the team changes can overlap); a page of
 *   members already read, or more pages than the cap, fails the team rather than guess.
 * - Failing visibly: any handle that cannot be resolved (no such team, a refused key, Datadog
 *   unavailable after the retries, the deadline) ends `resolve` with one TeamResolutionError
 *   naming every such handle and its cause, even when the others resolved. A refused key (403:
 *   the application key lacks `teams_read`) stops the requests not yet sent.
 */

import { TeamResolutionError } from '../../errors';
import type { CallOptions, ResolvedTeam, TeamDirectory, TeamMember } from '../../ports';
import { DatadogApiError, DatadogAuthError } from './errors';
import { clientOptionsOf, type DatadogAdapterOptions, describeTarget, retryPolicyOf } from './options';
import { Breaker, type CallOutcome, createRetryingCall, Limiter } from './retry';
import { createTeamsRead, type MembershipsRequest, type TeamRow, type TeamSearch } from './teams-read';

export { TeamResolutionError };

/** Requests in flight at most: a run asks a few pages per team, and they share the org's rate limit. */
export const DEFAULT_TEAMS_CONCURRENCY = 4;
/** `page[size]`: the API's maximum. */
export const MAX_TEAMS_PAGE_SIZE = 100;
/** Pages one search or one team's memberships may take: 100 × 100 = 10,000 teams or members. */
const DEFAULT_MAX_PAGES = 100;

export interface DatadogTeamDirectoryOptions extends DatadogAdapterOptions {
  /** Requests in flight at most (lowered when the rate limit runs low). @default 4 */
  readonly concurrency?: number;
  /** `page[size]` of the team search and the memberships (1–100). @default 100 */
  readonly pageSize?: number;
  /** Pages one team search or one team's memberships may take; more fails that team. @default 100 */
  readonly maxPages?: number;
}

/** Why one handle could not be resolved (its message is the cause TeamResolutionError shows). */
class Unresolved extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Unresolved';
  }
}

/** A request not sent because Datadog already refused the keys in this resolve (the retry policy passes it on untouched). */
class AlreadyRefused extends DatadogApiError {
  constructor(reason: string) {
    super(0, reason);
    this.name = 'AlreadyRefused';
  }
}

export function createDatadogTeamDirectory(options: DatadogTeamDirectoryOptions): TeamDirectory {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_TEAMS_CONCURRENCY));
  const pageSize = Math.max(1, Math.min(MAX_TEAMS_PAGE_SIZE, Math.floor(options.pageSize ?? MAX_TEAMS_PAGE_SIZE)));
  const maxPages = Math.max(1, Math.floor(options.maxPages ?? DEFAULT_MAX_PAGES));
  const logger = options.logger;
  const read = createTeamsRead(clientOptionsOf(options));
  const where = describeTarget(options, read.target);
  const authError = (status: number, cause: unknown): DatadogAuthError =>
    new DatadogAuthError(
      status,
      status === 401
        ? `Datadog rejected the API key for the Teams API (HTTP 401) at ${where}`
        : `Datadog refused the Teams API (HTTP 403) at ${where}: the application key needs the teams_read scope ` +
            '(audit_logs_read reads the audit events only)',
      { cause },
    );
  const limiter = new Limiter(concurrency, concurrency);
  const { policy, breakerThreshold } = retryPolicyOf(options, authError);

  return {
    async resolve(handles: readonly string[], callOptions?: CallOptions): Promise<ResolvedTeam[]> {
      const started = Date.now();
      const deadline = callOptions?.deadline ?? Number.POSITIVE_INFINITY;
      const breaker = new Breaker(breakerThreshold);
      /** Set by the first refused key: the requests after it are not sent. */
      let refused: string | undefined;
      let requests = 0;
      const guarded =
        <Q, R>(call: (request: Q, timeoutMs: number) => Promise<R>) =>
        (request: Q, timeoutMs: number): Promise<R> => {
          if (refused !== undefined) return Promise.reject(new AlreadyRefused(refused));
          requests++;
          return call(request, timeoutMs);
        };
      // Checked once a request has its slot in the limiter, so requests queued behind a refusal never go out.
      const searchPage = createRetryingCall(guarded(read.listTeams), limiter, { ...policy, what: 'team search' });
      const membersPage = createRetryingCall(guarded(read.memberships), limiter, {
        ...policy,
        what: 'team memberships read',
      });

      /** One call's result, or Unresolved saying what failed and why. */
      async function attempt<Q, R>(
        call: (request: Q, deadline: number, breaker: Breaker) => Promise<CallOutcome<R>>,
        request: Q,
        doing: string,
      ): Promise<R> {
        try {
          const outcome = await call(request, deadline, breaker);
          if (!outcome.ok) throw new Unresolved(`${doing} failed: ${outcome.cause}`);
          return outcome.result;
        } catch (error) {
          if (error instanceof AlreadyRefused) throw new Unresolved(error.message);
          if (error instanceof DatadogAuthError) {
            refused ??= error.message;
            throw new Unresolved(refused);
          }
          if (error instanceof DatadogApiError) throw new Unresolved(`${doing} failed: ${error.message}`);
          throw error;
        }
      }

      async function findTeam(handle: string): Promise<TeamRow> {
        const matches: TeamRow[] = [];
        for (let pageNumber = 0; ; pageNumber++) {
          if (pageNumber >= maxPages) {
            throw new Unresolved(`the team search stopped at the cap of ${maxPages} pages without reaching its end`);
          }
          const request: TeamSearch = { keyword: handle, pageNumber, pageSize };
          const page = await attempt(searchPage, request, 'the team search');
          matches.push(...page.teams.filter((t) => t.handle.toLowerCase() === handle.toLowerCase()));
          if (page.teams.length < pageSize) break;
        }
        const exact = matches.find((t) => t.handle === handle);
        if (exact) return exact;
        const ids = new Set(matches.map((t) => t.id));
        const [only] = matches;
        if (only && ids.size === 1) return only;
        if (ids.size > 1) {
          throw new Unresolved(
            `${ids.size} teams have this handle in different letter case (${[...new Set(matches.map((t) => t.handle))].join(', ')})`,
          );
        }
        throw new Unresolved('no Datadog team has this handle');
      }

      async function membersOf(team: TeamRow): Promise<TeamMember[]> {
        const members = new Map<string, TeamMember>();
        for (let pageNumber = 0; ; pageNumber++) {
          if (pageNumber >= maxPages) {
            throw new Unresolved(`reading its members stopped at the cap of ${maxPages} pages of ${pageSize}`);
          }
          const request: MembershipsRequest = { teamId: team.id, pageNumber, pageSize };
          const page = await attempt(membersPage, request, 'reading its members');
          let fresh = 0;
          for (const member of page.members) {
            if (members.has(member.userId)) continue;
            members.set(member.userId, member);
            fresh++;
          }
          if (page.members.length < pageSize) break;
          // A full page of members already read: the pages repeat, and following them could go round forever.
          if (fresh === 0) throw new Unresolved('Datadog served a page of members already read; paging stopped');
        }
        return [...members.values()];
      }

      // One entry per handle (any letter case), in the order asked.
      const wanted = new Map<string, string>();
      for (const raw of handles) {
        const handle = raw.trim();
        if (!wanted.has(handle.toLowerCase())) wanted.set(handle.toLowerCase(), handle);
      }
      const settled = await Promise.allSettled(
        [...wanted.values()].map(async (handle): Promise<ResolvedTeam> => {
          if (handle === '') throw new Unresolved('an empty handle names no team');
          const team = await findTeam(handle);
          return { handle: team.handle, id: team.id, name: team.name, members: await membersOf(team) };
        }),
      );
      const failures: Array<{ handle: string; cause: string }> = [];
      const teams: ResolvedTeam[] = [];
      const asked = [...wanted.values()];
      for (const [i, s] of settled.entries()) {
        const handle = asked[i] as string;
        if (s.status === 'fulfilled') teams.push(s.value);
        else {
          const error = s.reason as Error | undefined;
          // Not a Datadog answer but a fault of ours: it still fails that handle, visibly.
          const cause =
            error instanceof Unresolved
              ? error.reason
              : `the team could not be resolved (${error?.name ?? 'Error'}: ${String(error?.message).slice(0, 120)})`;
          failures.push({ handle, cause });
        }
      }
      const line = { asked: asked.length, resolved: teams.length, requests, ms: Date.now() - started };
      if (failures.length > 0) {
        logger?.warn('Datadog teams not resolved', { ...line, handles: failures.map((f) => f.handle) });
        throw new TeamResolutionError(failures);
      }
      logger?.info('Datadog teams resolved', {
        ...line,
        members: Object.fromEntries(teams.map((t) => [t.handle, t.members.length])),
      });
      return teams;
    },
  };
}
