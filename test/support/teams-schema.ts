/**
 * Validators of the Teams API's parameters and bodies (test/fixtures/datadog/teams-schema.json),
 * for the tests that check what the teams emulator answers and what the team directory asks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const SCHEMA_PATH = join(__dirname, '../fixtures/datadog/teams-schema.json');

export interface TeamsValidators {
  readonly listTeamsParameters: ValidateFunction;
  readonly membershipsParameters: ValidateFunction;
  readonly teams: ValidateFunction;
  readonly memberships: ValidateFunction;
  readonly error: ValidateFunction;
}

export function teamsValidators(): TeamsValidators {
  // The schema marks OpenAPI formats (int64, int32); strict mode would refuse nothing else here.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  const ref = (name: string) => ajv.compile({ $ref: `datadog-teams#/definitions/${name}` });
  return {
    listTeamsParameters: ref('ListTeamsParameters'),
    membershipsParameters: ref('GetTeamMembershipsParameters'),
    teams: ref('TeamsResponse'),
    memberships: ref('UserTeamsResponse'),
    error: ref('APIErrorResponse'),
  };
}

/** A request's query string as the parameters schema reads it: `page[…]` integers as numbers, `filter[me]` as a boolean. */
export function queryParameters(url: string | URL): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of new URL(url, 'http://127.0.0.1').searchParams) {
    if (key.startsWith('page[') && /^-?\d+$/.test(value)) out[key] = Number(value);
    else if (key === 'filter[me]' && (value === 'true' || value === 'false')) out[key] = value === 'true';
    else out[key] = value;
  }
  return out;
}
