/**
 * fleetSettings / updateFleetSettings over HTTP: viewers read the settings with their defaults and
 * bounds, editors cannot change them, admins can (typed ValidationError naming the field for a bad
 * value), and fleetRules serves the offline threshold in effect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTING_RULES } from '../../api/fleet/settings-rules.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestUser, errorCode, gql, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let viewer: TestUser;
let editor: TestUser;
let admin: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_RETAIN_ACTIONS_DAYS: '45' } });
  viewer = await createTestUser(server.ctx, 'viewer');
  editor = await createTestUser(server.ctx, 'editor');
  admin = await createTestUser(server.ctx, 'admin');
});
afterAll(() => server.close());

const READ = `{
  fleetSettings {
    heartbeatIntervalSeconds { value stored default min max unit }
    offlineAfterSeconds { value stored default }
    retainActionsDays { value stored default unit }
    revision updatedBy
  }
  fleetRules { offlineAfterSeconds }
}`;

const UPDATE = `mutation($input: UpdateFleetSettingsInput!) {
  updateFleetSettings(input: $input) {
    __typename
    ... on UpdateFleetSettingsPayload { settings { offlineAfterSeconds { value stored } revision updatedBy } }
    ... on ValidationError { code fields { path message } }
  }
}`;

describe('fleet settings over GraphQL', () => {
  it('viewers read the settings with their defaults, bounds and units', async () => {
    const data = await gqlData(server.baseUrl, READ, {}, { token: viewer.token });
    expect(data.fleetSettings).toEqual({
      heartbeatIntervalSeconds: {
        value: null,
        stored: null,
        default: null,
        ...SETTING_RULES.heartbeatIntervalSeconds,
      },
      offlineAfterSeconds: { value: 300, stored: null, default: 300 },
      retainActionsDays: { value: 45, stored: null, default: 45, unit: 'days' },
      revision: 0,
      updatedBy: '',
    });
    expect(data.fleetRules.offlineAfterSeconds).toBe(300);
  });

  it('editors cannot change them; admins can, and fleetRules follows', async () => {
    const refused = await gql(
      server.baseUrl,
      UPDATE,
      { input: { offlineAfterSeconds: 600 } },
      { token: editor.token },
    );
    expect(errorCode(refused)).toBe('FORBIDDEN');

    const done = await gqlData(
      server.baseUrl,
      UPDATE,
      { input: { offlineAfterSeconds: 600 } },
      { token: admin.token },
    );
    expect(done.updateFleetSettings).toEqual({
      __typename: 'UpdateFleetSettingsPayload',
      settings: {
        offlineAfterSeconds: { value: 600, stored: 600 },
        revision: 1,
        updatedBy: `${admin.email} (token test admin)`,
      },
    });
    const read = await gqlData(server.baseUrl, READ, {}, { token: viewer.token });
    expect(read.fleetRules.offlineAfterSeconds).toBe(600);

    const reset = await gqlData(
      server.baseUrl,
      UPDATE,
      { input: { offlineAfterSeconds: null } },
      { token: admin.token },
    );
    expect(reset.updateFleetSettings.settings.offlineAfterSeconds).toEqual({ value: 300, stored: null });
  });

  it('answers a bad value with a ValidationError naming the field', async () => {
    const data = await gqlData(
      server.baseUrl,
      UPDATE,
      { input: { retainAuditDays: 0 } },
      { token: admin.token },
    );
    expect(data.updateFleetSettings).toMatchObject({
      __typename: 'ValidationError',
      code: 'validation_failed',
      fields: [{ path: 'retainAuditDays', message: 'at least 1 days' }],
    });
  });
});
