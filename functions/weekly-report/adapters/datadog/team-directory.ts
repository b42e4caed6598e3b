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
 *
 * The parts: `createDatadogTeamDirectory` builds what every resolve shares (the Teams API, the
 * retries); a TeamResolution is one `resolve` call (a ReadScope: its deadline, breaker and first
 * refusal, read-scope.ts): `findTeam` (the search, and `pickTeam` among its matches),
 * `membersOf`, and the account of every handle that could not be resolved.
 */

import { TeamResolutionError } from '../../errors';
import type { CallOptions, Logger, ResolvedTeam, TeamDirectory, TeamMember } from '../../ports';
import { DatadogAuthError } from './errors';
import {
  clientOptionsOf,
  type DatadogAdapterOptions,
  type RefusalWording,
  type SourceRetry,
  sourceRetryOf,
} from './options';
import { failureReason, ReadFailed, ReadScope } from './read-scope';
import type { CallOutcome } from './retry';
import {
  createTeamsRead,
  type MembershipsPage,
  type MembershipsRequest,
  type TeamRow,
  type TeamSearch,
  type TeamsPage,
  type TeamsRead,
} from './teams-read';

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

/** How the error of a refused key reads for the Teams API: what was refused, and the fix. */
const REFUSAL: RefusalWording = {
  rejected: 'the API key for the Teams API',
  refused: 'the Teams API',
  fix403: 'the application key needs the teams_read scope (audit_logs_read reads the audit events only)',
};

/** What every `resolve` call of a directory shares. */
interface TeamsParts {
  readonly read: TeamsRead;
  readonly retry: SourceRetry;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly logger: Logger | undefined;
}

export function createDatadogTeamDirectory(options: DatadogTeamDirectoryOptions): TeamDirectory {
  const read = createTeamsRead(clientOptionsOf(options));
  const parts: TeamsParts = {
    read,
    retry: sourceRetryOf(options, options.concurrency ?? DEFAULT_TEAMS_CONCURRENCY, read.target, REFUSAL),
    pageSize: Math.max(1, Math.min(MAX_TEAMS_PAGE_SIZE, Math.floor(options.pageSize ?? MAX_TEAMS_PAGE_SIZE))),
    maxPages: Math.max(1, Math.floor(options.maxPages ?? DEFAULT_MAX_PAGES)),
    logger: options.logger,
  };
  return {
    resolve: (handles: readonly string[], callOptions?: CallOptions): Promise<ResolvedTeam[]> =>
      new TeamResolution(parts, callOptions?.deadline ?? Number.POSITIVE_INFINITY).resolve(handles),
  };
}

/** One `resolve` call: its requests share a deadline, a breaker and the first refusal (ReadScope). */
class TeamResolution {
  private readonly scope: ReadScope;
  private requests = 0;
  private readonly searchPage: (request: TeamSearch) => Promise<CallOutcome<TeamsPage>>;
  private readonly membersPage: (request: MembershipsRequest) => Promise<CallOutcome<MembershipsPage>>;

  constructor(
    private readonly parts: TeamsParts,
    deadline: number,
  ) {
    // Only a refused key refuses the read: another handle's team may still be found.
    this.scope = new ReadScope(parts.retry, deadline, (error) => error instanceof DatadogAuthError);
    const { read } = parts;
    this.searchPage = this.scope.retrying(
      this.counted((request: TeamSearch, timeoutMs: number) => read.listTeams(request, timeoutMs)),
      'team search',
    );
    this.membersPage = this.scope.retrying(
      this.counted((request: MembershipsRequest, timeoutMs: number) => read.memberships(request, timeoutMs)),
      'team memberships read',
    );
  }

  /** Every handle's team and members, in the order asked; TeamResolutionError naming each handle that failed. */
  async resolve(handles: readonly string[]): Promise<ResolvedTeam[]> {
    const started = Date.now();
    const asked = uniqueHandles(handles);
    const settled = await Promise.allSettled(asked.map((handle) => this.resolveOne(handle)));
    const failures: Array<{ handle: string; cause: string }> = [];
    const teams: ResolvedTeam[] = [];
    for (const [i, s] of settled.entries()) {
      if (s.status === 'fulfilled') teams.push(s.value);
      // Not a Datadog answer but a fault of ours: it still fails that handle, visibly.
      else
        failures.push({ handle: asked[i] as string, cause: failureReason(s.reason, 'the team could not be resolved') });
    }
    const { logger } = this.parts;
    const line = { asked: asked.length, resolved: teams.length, requests: this.requests, ms: Date.now() - started };
    if (failures.length > 0) {
      logger?.warn('Datadog teams not resolved', { ...line, handles: failures.map((f) => f.handle) });
      throw new TeamResolutionError(failures);
    }
    logger?.info('Datadog teams resolved', {
      ...line,
      members: Object.fromEntries(teams.map((t) => [t.handle, t.members.length])),
    });
    return teams;
  }

  private async resolveOne(handle: string): Promise<ResolvedTeam> {
    if (handle === '') throw new ReadFailed('an empty handle names no team');
    const team = await this.findTeam(handle);
    return { handle: team.handle, id: team.id, name: team.name, members: await this.membersOf(team) };
  }

  /** The team whose handle is `handle`: the search pages to its end, as its keyword matches more than handles. */
  private async findTeam(handle: string): Promise<TeamRow> {
    const { pageSize, maxPages } = this.parts;
    const matches: TeamRow[] = [];
    for (let pageNumber = 0; ; pageNumber++) {
      if (pageNumber >= maxPages) {
        throw new ReadFailed(`the team search stopped at the cap of ${maxPages} pages without reaching its end`);
      }
      const request: TeamSearch = { keyword: handle, pageNumber, pageSize };
      const page = await this.scope.result(this.searchPage, request, 'the team search');
      matches.push(...page.teams.filter((t) => t.handle.toLowerCase() === handle.toLowerCase()));
      if (page.teams.length < pageSize) break;
    }
    return pickTeam(matches, handle);
  }

  /** Every member of `team`, once each, page after page until a short page. */
  private async membersOf(team: TeamRow): Promise<TeamMember[]> {
    const { pageSize, maxPages } = this.parts;
    const members = new Map<string, TeamMember>();
    for (let pageNumber = 0; ; pageNumber++) {
      if (pageNumber >= maxPages) {
        throw new ReadFailed(`reading its members stopped at the cap of ${maxPages} pages of ${pageSize}`);
      }
      const request: MembershipsRequest = { teamId: team.id, pageNumber, pageSize };
      const page = await this.scope.result(this.membersPage, request, 'reading its members');
      let fresh = 0;
      for (const member of page.members) {
        if (members.has(member.userId)) continue;
        members.set(member.userId, member);
        fresh++;
      }
      if (page.members.length < pageSize) break;
      // A full page of members already read: the pages repeat, and following them could go round forever.
      if (fresh === 0) throw new ReadFailed('Datadog served a page of members already read; paging stopped');
    }
    return [...members.values()];
  }

  /** `call`, counting the requests sent (those the first refusal holds back are not). */
  private counted<Q, R>(
    call: (request: Q, timeoutMs: number) => Promise<R>,
  ): (request: Q, timeoutMs: number) => Promise<R> {
    return (request, timeoutMs) => {
      this.requests++;
      return call(request, timeoutMs);
    };
  }
}

/** One entry per handle (any letter case), trimmed, in the order asked. */
function uniqueHandles(handles: readonly string[]): string[] {
  const wanted = new Map<string, string>();
  for (const raw of handles) {
    const handle = raw.trim();
    if (!wanted.has(handle.toLowerCase())) wanted.set(handle.toLowerCase(), handle);
  }
  return [...wanted.values()];
}

/** Among teams whose handle matches `handle` in any case: the exact one, else the only one; two are ambiguous. */
function pickTeam(matches: readonly TeamRow[], handle: string): TeamRow {
  const exact = matches.find((t) => t.handle === handle);
  if (exact) return exact;
  const ids = new Set(matches.map((t) => t.id));
  const [only] = matches;
  if (only && ids.size === 1) return only;
  if (ids.size > 1) {
    throw new ReadFailed(
      `${ids.size} teams have this handle in different letter case (${[...new Set(matches.map((t) => t.handle))].join(', ')})`,
    );
  }
  throw new ReadFailed('no Datadog team has this handle');
}
