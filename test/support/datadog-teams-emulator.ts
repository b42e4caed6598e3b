/**
 * The Teams side of the Datadog emulator: `GET /api/v2/team` (the team search, `filter[keyword]`)
 * and `GET /api/v2/team/{team_id}/memberships` (a team's members, with their users in
 * `included`), both paged by `page[number]` and `page[size]`, answering from the teams a test or
 * `npm start` passes in (the generator's `scenario.teams`). Shapes follow the spec extract
 * test/fixtures/datadog/teams-schema.json and the client repo's recorded real responses:
 * `meta.pagination` is `{number, first_number, prev_number, next_number, last_number, size,
 * type: "number_size", total}`, a membership names its user in `relationships.user.data`, and a
 * user's `handle` is their e-mail. Mounted on the audit emulator's server (datadog-emulator.ts),
 * which checks the keys and injects the shared faults.
 *
 * What it decides where Datadog's docs are silent: the keyword matches, in any letter case, a
 * part of a team's name or handle or of a member's e-mail (the docs: "team name, team handle, or
 * email of team member"); teams are listed by name, members by e-mail; a `page[size]` above the
 * documented maximum of 100, or a negative page number, is refused with 400 (stricter than
 * Datadog may be, so a client that asks for more is caught); an unknown team id answers 404.
 */

export const TEAMS_PATH = '/api/v2/team';
const DEFAULT_PAGE_SIZE = 10; // the spec's default for page[size]
const MAX_PAGE_SIZE = 100; // "The maximum allowed value is 100."

/** A team as the emulator holds it (`scenario.teams` fits: its members are the generator's people). */
export interface EmulatedTeam {
  readonly handle: string;
  readonly id: string;
  readonly name: string;
  readonly members: readonly { readonly id: string; readonly email: string; readonly name: string }[];
}

/** A request the emulator refuses (400) or cannot find (404), as Datadog would; the message is `errors[0]`. */
export class TeamsRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'TeamsRequestError';
  }
}

export type TeamsRequest =
  | {
      readonly kind: 'teams';
      readonly keyword: string | undefined;
      readonly pageNumber: number;
      readonly pageSize: number;
    }
  | {
      readonly kind: 'memberships';
      readonly teamId: string;
      readonly keyword: string | undefined;
      readonly pageNumber: number;
      readonly pageSize: number;
    };

/** True for the paths of the Teams API the emulator serves (any method: others get 404 there). */
export function isTeamsPath(pathname: string): boolean {
  return pathname === TEAMS_PATH || /^\/api\/v2\/team\/[^/]+\/memberships$/.test(pathname);
}

function integerParam(url: URL, name: string, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (!/^-?\d+$/.test(text)) throw new TeamsRequestError(400, `${name} must be an integer`);
  return Number(text);
}

/** Parses a Teams API request; throws TeamsRequestError for what Datadog would refuse or not find. */
export function parseTeamsRequest(url: URL): TeamsRequest {
  const pageSize = integerParam(url, 'page[size]', DEFAULT_PAGE_SIZE);
  const pageNumber = integerParam(url, 'page[number]', 0);
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new TeamsRequestError(400, `page[size] must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  if (pageNumber < 0) throw new TeamsRequestError(400, 'page[number] must not be negative');
  const keyword = url.searchParams.get('filter[keyword]') ?? undefined;
  if (url.pathname === TEAMS_PATH) return { kind: 'teams', keyword, pageNumber, pageSize };
  const m = /^\/api\/v2\/team\/([^/]+)\/memberships$/.exec(url.pathname);
  if (!m) throw new TeamsRequestError(404, 'Not found');
  return { kind: 'memberships', teamId: decodeURIComponent(m[1] as string), keyword, pageNumber, pageSize };
}

function contains(text: string, keyword: string): boolean {
  return text.toLowerCase().includes(keyword.toLowerCase());
}

/** A stable positive number from text (membership ids end in one, as Datadog's do). */
function numberOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 10_000_000;
}

const CREATED = '2026-03-02T10:15:00.000000+00:00';

/** `meta` and `links` of one page, as the recorded real responses carry them. */
function pageOf<T>(all: readonly T[], request: TeamsRequest, url: string) {
  const { pageNumber: number, pageSize: size } = request;
  const lastNumber = Math.max(0, Math.ceil(all.length / size) - 1);
  const link = (n: number) => {
    const u = new URL(url);
    u.searchParams.set('page[number]', String(n));
    u.searchParams.set('page[size]', String(size));
    return u.toString();
  };
  return {
    items: all.slice(number * size, (number + 1) * size),
    meta: {
      pagination: {
        number,
        first_number: 0,
        prev_number: Math.max(0, number - 1),
        next_number: number + 1,
        last_number: lastNumber,
        size,
        type: 'number_size',
        total: all.length,
      },
    },
    links: {
      self: url,
      first: link(0),
      last: link(lastNumber),
      next: link(number + 1),
      prev: number > 0 ? link(number - 1) : null,
    },
  };
}

/** The 200 body of `request` over `teams`; throws TeamsRequestError (404) for a team id it does not hold. */
export function answerTeams(request: TeamsRequest, teams: readonly EmulatedTeam[], url: string): unknown {
  if (request.kind === 'teams') {
    const keyword = request.keyword?.trim();
    const found = teams
      .filter(
        (t) =>
          keyword === undefined ||
          keyword === '' ||
          contains(t.name, keyword) ||
          contains(t.handle, keyword) ||
          t.members.some((m) => contains(m.email, keyword)),
      )
      .sort((a, b) => a.name.localeCompare(b.name) || a.handle.localeCompare(b.handle));
    const page = pageOf(found, request, url);
    return {
      data: page.items.map((t) => ({
        type: 'team',
        id: t.id,
        attributes: {
          handle: t.handle,
          name: t.name,
          summary: null,
          description: null,
          avatar: null,
          banner: null,
          user_count: t.members.length,
          link_count: 0,
          created_at: CREATED,
          modified_at: CREATED,
        },
        relationships: {
          team_links: { links: { related: `${TEAMS_PATH}/${t.id}/links` } },
          user_team_permissions: { links: { related: `${TEAMS_PATH}/${t.id}/permission-settings` } },
        },
      })),
      meta: page.meta,
      links: page.links,
    };
  }
  const team = teams.find((t) => t.id === request.teamId);
  if (!team) throw new TeamsRequestError(404, 'Team not found');
  const keyword = request.keyword?.trim();
  const members = team.members
    .filter((m) => keyword === undefined || keyword === '' || contains(m.email, keyword) || contains(m.name, keyword))
    .sort((a, b) => a.email.localeCompare(b.email) || a.id.localeCompare(b.id));
  const page = pageOf(members, request, url);
  return {
    data: page.items.map((m) => ({
      type: 'team_memberships',
      id: `TeamMembership-${team.id}-${numberOf(`${team.id}/${m.id}`)}`,
      attributes: { role: null, provisioned_by: null, provisioned_by_id: null },
      relationships: { user: { data: { type: 'users', id: m.id } } },
    })),
    included: page.items.map((m) => ({
      type: 'users',
      id: m.id,
      attributes: {
        name: m.name,
        handle: m.email,
        email: m.email,
        icon: `https://secure.gravatar.com/avatar/${numberOf(m.email).toString(16)}?s=48&d=retro`,
        disabled: false,
        service_account: false,
      },
    })),
    meta: page.meta,
    links: page.links,
  };
}

/** Bodies of a 200 that is not a Teams API page, for the `malformedShape` faults. */
export function malformedTeamsBody(
  kind: TeamsRequest['kind'],
  shape: 'null' | 'data-null' | 'data-object' | 'not-json' | 'cursor-number',
): string {
  switch (shape) {
    case 'null':
      return 'null';
    case 'not-json':
      return '<html><body>Gateway says hello</body></html>';
    case 'data-null':
      return JSON.stringify({ data: null });
    case 'data-object':
      return JSON.stringify({ data: { teams: [] } });
    default:
      // Items that name nothing usable: a team without a handle, a membership without its user.
      return JSON.stringify(
        kind === 'teams'
          ? { data: [{ type: 'team', id: 12345, attributes: { name: 'No handle' } }] }
          : { data: [{ type: 'team_memberships', id: 'TeamMembership-x-1', attributes: { role: null } }] },
      );
  }
}
