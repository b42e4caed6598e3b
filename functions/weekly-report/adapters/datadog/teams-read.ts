/**
 * One page of the Teams API through `v2.TeamsApi`, and nothing else: `listTeams` (`GET
 * /api/v2/team`, searched by `filter[keyword]`) and `getTeamMemberships` (`GET
 * /api/v2/team/{team_id}/memberships`), both paged by `page[number]` and `page[size]`. Every
 * answer is checked before anyone trusts it: a 200 whose body is not a page of teams or of
 * memberships (no `data` array, a team without a handle, a membership that names no user) throws
 * MalformedResponseError, which the retry policy treats like a 5xx, since a member list read
 * from a broken page would silently narrow a team-scoped report. A membership names its user in
 * `relationships.user.data.id`; the user's e-mail, name and handle come from the `included`
 * user of that id (a user missing there is still a member, known by id).
 */
import {
  type ResponseContext,
  TeamsApi,
  TeamsApiResponseProcessor,
  type TeamsResponse,
  type UserTeamsResponse,
} from './api-client';
import { createDatadogClient, type DatadogClientOptions } from './client';
import { kindOf, MalformedResponseError, readJsonBody } from './errors';

/** A team as the search lists it. */
export interface TeamRow {
  readonly id: string;
  readonly handle: string;
  readonly name: string;
}

/** A member as one memberships page names them (`userId` is the Datadog user's id). */
export interface MemberRow {
  readonly userId: string;
  readonly email?: string;
  readonly name?: string;
  readonly handle?: string;
}

export interface TeamsPage {
  readonly teams: readonly TeamRow[];
  readonly headers: Readonly<Record<string, string>>;
}

export interface MembershipsPage {
  readonly members: readonly MemberRow[];
  readonly headers: Readonly<Record<string, string>>;
}

/** One page of the teams whose name, handle or member e-mail matches `keyword`. */
export interface TeamSearch {
  readonly keyword: string;
  /** From 0. */
  readonly pageNumber: number;
  /** 1–100 (the API's maximum). */
  readonly pageSize: number;
}

/** One page of a team's memberships. */
export interface MembershipsRequest {
  readonly teamId: string;
  /** From 0. */
  readonly pageNumber: number;
  /** 1–100 (the API's maximum). */
  readonly pageSize: number;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(problem: string, headers: Readonly<Record<string, string>>, what: string): MalformedResponseError {
  return new MalformedResponseError(problem, headers, what);
}

/** `is missing`, or `is a number, not <wanted>`: what is wrong with a value, for a problem text. */
const wrong = (value: unknown, wanted: string): string =>
  value === undefined ? 'is missing' : `is ${kindOf(value)}, not ${wanted}`;

/** The `data` array of a Teams API page body, or MalformedResponseError. */
function dataOf(body: unknown, headers: Readonly<Record<string, string>>, what: string): unknown[] {
  if (!isObject(body)) throw malformed(`the body is ${kindOf(body)}, not an object`, headers, what);
  const { data } = body;
  if (!Array.isArray(data)) throw malformed(`data ${wrong(data, 'an array')}`, headers, what);
  return data;
}

/** An optional text attribute: a string, or absent (`null` included); any other kind is malformed. */
function optionalText(value: unknown, where: string, headers: Readonly<Record<string, string>>, what: string) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw malformed(`${where} is ${kindOf(value)}, not a string`, headers, what);
  return value === '' ? undefined : value;
}

const TEAMS_WHAT = 'team list';
const MEMBERSHIPS_WHAT = 'team memberships page';

/** The teams of a `GET /api/v2/team` body, or MalformedResponseError naming the first problem. */
export function checkTeamsResponse(body: unknown, headers: Readonly<Record<string, string>> = {}): TeamRow[] {
  return dataOf(body, headers, TEAMS_WHAT).map((item, i) => {
    if (!isObject(item)) throw malformed(`data[${i}] is ${kindOf(item)}, not an object`, headers, TEAMS_WHAT);
    const attributes = item.attributes;
    if (typeof item.id !== 'string' || item.id === '') {
      throw malformed(`data[${i}].id ${wrong(item.id, 'a team id')}`, headers, TEAMS_WHAT);
    }
    if (!isObject(attributes)) {
      throw malformed(`data[${i}].attributes ${wrong(attributes, 'an object')}`, headers, TEAMS_WHAT);
    }
    if (typeof attributes.handle !== 'string' || attributes.handle === '') {
      throw malformed(`data[${i}].attributes.handle ${wrong(attributes.handle, 'a handle')}`, headers, TEAMS_WHAT);
    }
    const name = optionalText(attributes.name, `data[${i}].attributes.name`, headers, TEAMS_WHAT);
    return { id: item.id, handle: attributes.handle, name: name ?? attributes.handle };
  });
}

/** The members of a `GET /api/v2/team/{team_id}/memberships` body, or MalformedResponseError naming the first problem. */
export function checkMembershipsResponse(body: unknown, headers: Readonly<Record<string, string>> = {}): MemberRow[] {
  const what = MEMBERSHIPS_WHAT;
  const data = dataOf(body, headers, what);
  const included = (body as Obj).included;
  const users = new Map<string, Omit<MemberRow, 'userId'>>();
  if (included !== undefined && included !== null) {
    if (!Array.isArray(included)) throw malformed(`included is ${kindOf(included)}, not an array`, headers, what);
    for (const [i, item] of included.entries()) {
      if (!isObject(item)) throw malformed(`included[${i}] is ${kindOf(item)}, not an object`, headers, what);
      // Teams may be included too; only users name members.
      if (item.type !== 'users' || typeof item.id !== 'string') continue;
      const attributes = item.attributes ?? {};
      if (!isObject(attributes)) {
        throw malformed(`included[${i}].attributes is ${kindOf(attributes)}, not an object`, headers, what);
      }
      const email = optionalText(attributes.email, `included[${i}].attributes.email`, headers, what);
      const name = optionalText(attributes.name, `included[${i}].attributes.name`, headers, what);
      const handle = optionalText(attributes.handle, `included[${i}].attributes.handle`, headers, what);
      users.set(item.id, {
        ...(email !== undefined ? { email } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(handle !== undefined ? { handle } : {}),
      });
    }
  }
  return data.map((item, i) => {
    if (!isObject(item)) throw malformed(`data[${i}] is ${kindOf(item)}, not an object`, headers, what);
    const relationships = isObject(item.relationships) ? item.relationships : undefined;
    const user = isObject(relationships?.user) ? relationships.user : undefined;
    const userId = isObject(user?.data) ? user.data.id : undefined;
    // A membership without its user cannot be matched to anybody's calls: dropping it would narrow the team.
    if (typeof userId !== 'string' || userId === '') {
      throw malformed(`data[${i}] names no user (relationships.user.data.id)`, headers, what);
    }
    return { userId, ...users.get(userId) };
  });
}

/**
 * Keeps each body as Datadog sent it (checked by the functions above) rather than the client's
 * deserializer, which rebuilds the `included` oneOf as classes and throws on one item of a shape
 * it does not know; headers ride along in a side table, as in audit-search.ts.
 */
class RawTeamsProcessor extends TeamsApiResponseProcessor {
  readonly bodies = new WeakMap<
    object,
    { readonly body: unknown; readonly headers: Readonly<Record<string, string>> }
  >();

  private async keep(response: ResponseContext, what: string): Promise<object> {
    const body = await readJsonBody(response, what);
    const handle = {};
    this.bodies.set(handle, { body, headers: response.headers });
    return handle;
  }

  override async listTeams(response: ResponseContext): Promise<TeamsResponse> {
    return (await this.keep(response, TEAMS_WHAT)) as TeamsResponse;
  }

  override async getTeamMemberships(response: ResponseContext): Promise<UserTeamsResponse> {
    return (await this.keep(response, MEMBERSHIPS_WHAT)) as UserTeamsResponse;
  }
}

export type TeamsReadOptions = DatadogClientOptions;

export interface TeamsRead {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One page of a team search; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError, MalformedResponseError or a network error. */
  listTeams(request: TeamSearch, timeoutMs: number): Promise<TeamsPage>;
  /** One page of a team's members; `timeoutMs` bounds it. Throws as `listTeams` does. */
  memberships(request: MembershipsRequest, timeoutMs: number): Promise<MembershipsPage>;
}

export function createTeamsRead(options: TeamsReadOptions): TeamsRead {
  const client = createDatadogClient(options);
  const processor = new RawTeamsProcessor();
  const api = new TeamsApi(client.configuration, undefined, processor);
  const raw = (handle: unknown, what: string) => {
    const kept = processor.bodies.get(handle as object);
    if (!kept) throw malformed('no body', {}, what);
    return kept;
  };

  return {
    target: client.target,
    async listTeams(request, timeoutMs) {
      const handle = await client.withTimeout(timeoutMs, () =>
        api.listTeams({ filterKeyword: request.keyword, pageNumber: request.pageNumber, pageSize: request.pageSize }),
      );
      const { body, headers } = raw(handle, TEAMS_WHAT);
      return { teams: checkTeamsResponse(body, headers), headers };
    },
    async memberships(request, timeoutMs) {
      const handle = await client.withTimeout(timeoutMs, () =>
        api.getTeamMemberships({
          teamId: request.teamId,
          pageNumber: request.pageNumber,
          pageSize: request.pageSize,
        }),
      );
      const { body, headers } = raw(handle, MEMBERSHIPS_WHAT);
      return { members: checkMembershipsResponse(body, headers), headers };
    },
  };
}
