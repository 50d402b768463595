/**
 * Alerts over GraphQL: roles (viewers read, editors manage rules and silences, admins manage
 * channels), typed errors, the channel secret shown once and never again, the audit trail, and
 * alertUpdated delivering a firing alert to a live subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';
import {
  createTestUser,
  errorCode,
  gql,
  gqlData,
  subscribe,
  wsClient,
  type Loose,
  type TestUser,
} from './helpers.ts';

let server: TestServer;
let viewer: TestUser;
let editor: TestUser;
let admin: TestUser;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      FLOTILLA_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
      FLOTILLA_ALERT_INTERVAL_SECONDS: '3600',
    },
  });
  [viewer, editor, admin] = await Promise.all(
    (['viewer', 'editor', 'admin'] as const).map((r) => createTestUser(server.ctx, r)),
  );
});
afterAll(() => server.close());

const CREATE_RULE = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) {
  __typename
  ... on CreateAlertRulePayload { rule { id name kind threshold forSeconds enabled channels { name } } }
  ... on Error { code fields { path } } } }`;
const CREATE_CHANNEL = `mutation($input: CreateNotificationChannelInput!) { createNotificationChannel(input: $input) {
  __typename
  ... on CreateNotificationChannelPayload { signingSecret channel { id name type urlHint } }
  ... on Error { code } } }`;

describe('alerts over GraphQL', () => {
  it('lets viewers read, editors manage rules, and only admins manage channels', async () => {
    const kinds = await gqlData(
      server.baseUrl,
      '{ alertKinds { kind thresholdUnit thresholdMin } }',
      {},
      viewer,
    );
    expect(kinds.alertKinds).toContainEqual({
      kind: 'agent_offline',
      thresholdUnit: 'minutes',
      thresholdMin: 1,
    });
    const rule = { name: 'quiet agents', kind: 'agent_offline', threshold: 10 };
    expect(errorCode(await gql(server.baseUrl, CREATE_RULE, { input: rule }, viewer))).toBe('FORBIDDEN');
    const channelInput = { name: 'ops', type: 'webhook', url: 'https://hooks.example.com/T0/secret-path' };
    expect(errorCode(await gql(server.baseUrl, CREATE_CHANNEL, { input: channelInput }, editor))).toBe(
      'FORBIDDEN',
    );

    const created = await gqlData(server.baseUrl, CREATE_CHANNEL, { input: channelInput }, admin);
    const { channel, signingSecret } = created.createNotificationChannel;
    expect(signingSecret).toMatch(/^whsec_/);
    expect(channel).toMatchObject({ type: 'webhook', urlHint: 'https://hooks.example.com' });

    const made = await gqlData(
      server.baseUrl,
      CREATE_RULE,
      { input: { ...rule, channelIds: [channel.id] } },
      editor,
    );
    expect(made.createAlertRule.rule).toMatchObject({
      ...rule,
      forSeconds: 0,
      enabled: true,
      channels: [{ name: 'ops' }],
    });

    const read = await gqlData(
      server.baseUrl,
      '{ notificationChannels { name urlHint } alertRules { name } }',
      {},
      viewer,
    );
    expect(JSON.stringify(read)).not.toContain('secret-path');
    expect(JSON.stringify(read)).not.toContain(signingSecret);
    const audit = await server.ctx.db.auditEvent.findMany({
      where: { action: { in: ['alert_rule.create', 'channel.create'] } },
    });
    expect(audit.map((a) => a.action).sort()).toEqual(['alert_rule.create', 'channel.create']);
    expect(JSON.stringify(audit)).not.toContain('secret-path');
  });

  it('answers bad input with typed errors', async () => {
    const bad = await gqlData(
      server.baseUrl,
      CREATE_RULE,
      { input: { name: 'x', kind: 'config_failed', threshold: 3 } },
      editor,
    );
    expect(bad.createAlertRule).toMatchObject({
      __typename: 'ValidationError',
      code: 'validation_failed',
      fields: [{ path: 'threshold' }],
    });
    const missing = await gqlData(
      server.baseUrl,
      CREATE_RULE,
      { input: { name: 'y', kind: 'config_failed', groupId: crypto.randomUUID() } },
      editor,
    );
    expect(missing.createAlertRule).toMatchObject({ __typename: 'NotFoundError', code: 'group_not_found' });
  });

  it('pushes a firing alert to an alertUpdated subscriber and counts it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const res = await postJson(
      `${server.baseUrl}${paths.heartbeat(agent.agentId)}`,
      heartbeatBody({ vectorRunning: false }),
      agent.agentToken,
    );
    expect(res.ok).toBe(true);
    await server.app.heartbeats.flush({ rethrow: true });
    await gqlData(
      server.baseUrl,
      CREATE_RULE,
      { input: { name: 'vector down', kind: 'vector_not_running', groupId: group.id } },
      editor,
    );
    const sub = await subscribe<Loose>(
      server,
      wsClient(server.baseUrl, { token: viewer.token }),
      'subscription { alertUpdated { membershipChanged alerts { state summary agent { id } rule { name } } } }',
    );
    await server.app.alerts.runOnce();
    const message = await sub.next((m) =>
      m.alertUpdated.alerts.some((a: Loose) => a.rule.name === 'vector down'),
    );
    expect(message.alertUpdated.alerts).toContainEqual({
      state: 'firing',
      summary: expect.stringMatching(/Vector is not running/),
      agent: { id: agent.agentId },
      rule: { name: 'vector down' },
    });
    await sub.close();
    const counts = await gqlData(
      server.baseUrl,
      '{ alertCounts { firing } alerts { rule { name } } }',
      {},
      viewer,
    );
    expect(counts.alertCounts.firing).toBeGreaterThanOrEqual(1);
    expect(counts.alerts).toContainEqual({ rule: { name: 'vector down' } });
  });
});
