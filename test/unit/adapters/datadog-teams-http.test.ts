/**
 * The Teams API page checks (adapters/datadog/teams-read.ts) on the shapes real answers take: a
 * user whose name is null, a membership whose user is missing from `included`, teams included
 * beside users, and the pages that must be refused rather than read as fewer members.
 */

import { MalformedResponseError } from '../../../functions/weekly-report/adapters/datadog/errors';
import {
  checkMembershipsResponse,
  checkTeamsResponse,
} from '../../../functions/weekly-report/adapters/datadog/teams-read';

const membership = (userId: string) => ({
  type: 'team_memberships',
  id: `TeamMembership-t-${userId}`,
  attributes: { role: null, provisioned_by: null, provisioned_by_id: null },
  relationships: { user: { data: { type: 'users', id: userId } } },
});

describe('checkMembershipsResponse', () => {
  it('reads each member’s id, and the e-mail, name and handle of their included user when there is one', () => {
    // Prepare
    const body = {
      data: [membership('u-1'), membership('u-2'), membership('u-3')],
      included: [
        {
          type: 'users',
          id: 'u-1',
          attributes: { name: 'Ana Silva', handle: 'ana@example.com', email: 'ana@example.com' },
        },
        // A user without a name, as Datadog sends it.
        { type: 'users', id: 'u-2', attributes: { name: null, handle: 'frog@example.com', email: 'frog@example.com' } },
        { type: 'team', id: 't', attributes: { handle: 'sre', name: 'SRE' } },
      ],
      meta: { pagination: { number: 0, size: 100, total: 3, type: 'number_size' } },
    };

    // Act
    const members = checkMembershipsResponse(body);

    // Assess
    expect(members).toEqual([
      { userId: 'u-1', email: 'ana@example.com', name: 'Ana Silva', handle: 'ana@example.com' },
      { userId: 'u-2', email: 'frog@example.com', handle: 'frog@example.com' },
      { userId: 'u-3' },
    ]);
  });

  it.each([
    ['no data array', { data: null }, 'data is null, not an array'],
    [
      'a membership without its user',
      { data: [{ type: 'team_memberships', id: 'm' }] },
      'data[0] names no user (relationships.user.data.id)',
    ],
    ['included that is not an array', { data: [], included: {} }, 'included is an object, not an array'],
    [
      'an e-mail that is not a string',
      { data: [membership('u')], included: [{ type: 'users', id: 'u', attributes: { email: 5 } }] },
      'included[0].attributes.email is a number, not a string',
    ],
  ])('refuses a page with %s', (_, body, problem) => {
    // Act
    const read = () => checkMembershipsResponse(body);

    // Assess
    expect(read).toThrow(MalformedResponseError);
    expect(read).toThrow(`Datadog sent a malformed team memberships page (${problem})`);
  });
});

describe('checkTeamsResponse', () => {
  it('reads each team’s id, handle and name, the handle standing in for a missing name', () => {
    // Act
    const teams = checkTeamsResponse({
      data: [
        { type: 'team', id: 't-1', attributes: { handle: 'sre', name: 'Site Reliability Engineering', user_count: 3 } },
        { type: 'team', id: 't-2', attributes: { handle: 'data' } },
      ],
    });

    // Assess
    expect(teams).toEqual([
      { id: 't-1', handle: 'sre', name: 'Site Reliability Engineering' },
      { id: 't-2', handle: 'data', name: 'data' },
    ]);
  });

  it.each([
    ['a body that is not an object', [], 'the body is an array, not an object'],
    [
      'a team without a handle',
      { data: [{ type: 'team', id: 't', attributes: { name: 'x' } }] },
      'data[0].attributes.handle is missing',
    ],
    ['a team without an id', { data: [{ type: 'team', attributes: { handle: 'x' } }] }, 'data[0].id is missing'],
  ])('refuses a page with %s', (_, body, problem) => {
    expect(() => checkTeamsResponse(body)).toThrow(`Datadog sent a malformed team list (${problem})`);
  });
});
