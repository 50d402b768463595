/**
 * Authorisation as a matrix: every mutation and every query × anonymous, viewer, editor and admin.
 * Viewers read (drafts, versions, diffs, plans, rollouts); editors change groups, edit and publish pipelines and control rollouts, secrets, tokens, agents and actions; admins
 * also manage users, API tokens, groups' component policies and the fleet settings, and read the audit log. Refusals are UNAUTHENTICATED (anonymous) or
 * FORBIDDEN (role too low); admitted calls reach their resolver (a payload or a typed error).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAtLeast } from '../../api/fleet/users.ts';
import { createApiToken } from '../../api/fleet/api-tokens.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { schema } from '../../api/graphql/schema/index.ts';
import type { Role } from '../../api/generated/prisma/client.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestUser, gql, type GqlResponse, type Loose, type TestUser } from './helpers.ts';

type Need = Role | 'public';

const NONE = '00000000-0000-4000-8000-000000000000';
const slug = () => `r-${crypto.randomBytes(4).toString('hex')}`;

/** Each mutation: the role it needs and an input that passes GraphQL validation. */
const MUTATIONS: Record<string, [Need, () => Record<string, unknown>]> = {
  login: ['public', () => ({ email: `${slug()}@example.com`, password: 'not the password' })],
  logout: ['public', () => ({})],
  createGroup: ['editor', () => ({ slug: slug(), name: 'Role matrix' })],
  updateGroup: ['editor', () => ({ id: NONE, name: 'x' })],
  deleteGroup: ['editor', () => ({ id: NONE })],
  updateDraft: ['editor', () => ({ groupId: NONE, revision: 0, document: { components: [] } })],
  addDraftComponent: [
    'editor',
    () => ({ groupId: NONE, revision: 0, component: { id: 'in', kind: 'source', type: 'demo_logs' } }),
  ],
  updateDraftComponent: [
    'editor',
    () => ({ groupId: NONE, revision: 0, id: 'in', changes: { enabled: false } }),
  ],
  removeDraftComponent: ['editor', () => ({ groupId: NONE, revision: 0, id: 'in' })],
  connectDraftComponents: ['editor', () => ({ groupId: NONE, revision: 0, from: 'in', to: 'out' })],
  disconnectDraftComponents: ['editor', () => ({ groupId: NONE, revision: 0, from: 'in', to: 'out' })],
  discardDraft: ['editor', () => ({ groupId: NONE })],
  publishDraft: ['editor', () => ({ groupId: NONE, revision: 0, message: 'matrix' })],
  rollbackToVersion: ['editor', () => ({ groupId: NONE, version: 1 })],
  applyPipeline: ['editor', () => ({ groupId: NONE, yaml: 'components: []', message: 'matrix' })],
  mintEnrolmentToken: ['editor', () => ({ groupId: NONE, maxUses: 1, ttlSeconds: 3600 })],
  revokeEnrolmentToken: ['editor', () => ({ id: NONE })],
  moveAgents: ['editor', () => ({ agentIds: [NONE], groupId: NONE })],
  revokeAgents: ['editor', () => ({ agentIds: [NONE] })],
  rotateAgentTokens: ['editor', () => ({ agentIds: [NONE] })],
  createAlertRule: ['editor', () => ({ name: 'matrix', kind: 'config_failed' })],
  updateAlertRule: ['editor', () => ({ id: NONE, enabled: false })],
  deleteAlertRule: ['editor', () => ({ id: NONE })],
  createAlertSilence: ['editor', () => ({ comment: 'matrix', durationSeconds: 60 })],
  deleteAlertSilence: ['editor', () => ({ id: NONE })],
  createNotificationChannel: [
    'admin',
    () => ({ name: 'matrix', type: 'webhook', url: 'https://hooks.example.com/flotilla' }),
  ],
  deleteNotificationChannel: ['admin', () => ({ id: NONE })],
  setAgentLabels: ['editor', () => ({ agentId: NONE, labels: [] })],
  createAction: [
    'editor',
    () => ({ agentId: NONE, type: 'upgrade_agent', payload: { targetVersion: '1.0.0' } }),
  ],
  createBulkAction: [
    'editor',
    () => ({ agentIds: [NONE], type: 'upgrade_agent', payload: { targetVersion: '1.0.0' } }),
  ],
  cancelAction: ['editor', () => ({ id: NONE })],
  validateDraft: ['editor', () => ({ groupId: NONE, sampleSize: 1 })],
  cancelBulkAction: ['editor', () => ({ bulkId: NONE })],
  createUser: ['admin', () => ({ email: `${slug()}@example.com`, role: 'viewer', password: 'short' })],
  updateUser: ['admin', () => ({ id: NONE, role: 'viewer' })],
  resetUserPassword: [
    'admin',
    () => ({ email: `${slug()}@example.com`, password: 'a long enough password' }),
  ],
  createApiToken: ['admin', () => ({ userId: NONE, name: 'matrix' })],
  revokeApiToken: ['admin', () => ({ id: NONE })],
  revokeUserApiTokens: ['admin', () => ({ userId: NONE })],
  setGroupComponentPolicy: [
    'admin',
    () => ({ groupId: NONE, allowedComponents: [], readPathPrefixes: [], writePathPrefixes: [] }),
  ],
  createSecret: ['editor', () => ({ groupId: NONE, name: 'matrix', value: 'v' })],
  updateSecret: ['editor', () => ({ id: NONE, value: 'v' })],
  deleteSecret: ['editor', () => ({ id: NONE })],
  updateFleetSettings: ['admin', () => ({ retainAuditDays: 400 })],
  pauseRollout: ['editor', () => ({ rolloutId: NONE })],
  resumeRollout: ['editor', () => ({ rolloutId: NONE })],
  promoteRollout: ['editor', () => ({ rolloutId: NONE })],
  abortRollout: ['editor', () => ({ rolloutId: NONE })],
  retryRolloutAgents: ['editor', () => ({ rolloutId: NONE })],
  setGroupRolloutPlan: ['editor', () => ({ groupId: NONE })],
  startUpgradeRollout: ['editor', () => ({ groupId: NONE, release: '1.0.0' })],
};

/** Each query: the role it needs and a minimal selection. */
const QUERIES: Record<string, [Need, string]> = {
  viewer: ['public', 'viewer { role }'],
  setupRequired: ['public', 'setupRequired'],
  agents: ['viewer', 'agents { totalCount }'],
  agent: ['viewer', `agent(id: "${NONE}") { id }`],
  agentFailures: ['viewer', 'agentFailures { count }'],
  agentQueryAssist: ['viewer', 'agentQueryAssist(query: "sta", cursor: 3) { suggestions { label } }'],
  groups: ['viewer', 'groups { totalCount }'],
  group: ['viewer', 'group(slug: "none") { id }'],
  actions: ['viewer', 'actions { totalCount }'],
  action: ['viewer', `action(id: "${NONE}") { id }`],
  agentDiagnostics: ['editor', `agentDiagnostics(agentId: "${NONE}") { id }`],
  diagnosticsContent: ['editor', `diagnosticsContent(id: "${NONE}")`],
  enrolmentTokens: ['viewer', 'enrolmentTokens { totalCount }'],
  fleetSummary: ['viewer', 'fleetSummary { agents }'],
  fleetTelemetry: ['viewer', 'fleetTelemetry { throughput { minute } }'],
  vectorComponents: ['viewer', 'vectorComponents(kind: source) { type }'],
  vectorComponent: ['viewer', 'vectorComponent(kind: sink, type: "console") { type }'],
  agentReleases: ['viewer', 'agentReleases { version }'],
  fleetRules: ['viewer', 'fleetRules { offlineAfterSeconds maxPageSize maxBulkAgents }'],
  fleetSecrets: ['viewer', 'fleetSecrets { name }'],
  fleetSettings: ['viewer', 'fleetSettings { revision offlineAfterSeconds { value } }'],
  pipelinePlan: [
    'viewer',
    `pipelinePlan(input: { groupId: "${NONE}", yaml: "components: []" }) { __typename }`,
  ],
  alerts: ['viewer', 'alerts { id }'],
  alertRules: ['viewer', 'alertRules { id }'],
  alertSilences: ['viewer', 'alertSilences { id }'],
  alertKinds: ['viewer', 'alertKinds { kind }'],
  alertCounts: ['viewer', 'alertCounts { firing }'],
  notificationChannels: ['viewer', 'notificationChannels { id }'],
  users: ['admin', 'users { totalCount }'],
  apiTokens: ['admin', 'apiTokens { totalCount }'],
  auditEvents: ['admin', 'auditEvents { totalCount }'],
  auditExport: ['admin', 'auditExport(format: CSV)'],
  rollout: ['viewer', `rollout(id: "${NONE}") { id }`],
  activeRollouts: ['viewer', 'activeRollouts { id }'],
  rolloutPlanDefaults: ['viewer', 'rolloutPlanDefaults { soakSeconds }'],
  rolloutPreview: ['viewer', `rolloutPreview(groupId: "${NONE}") { __typename }`],
  upgradeRolloutPreview: [
    'viewer',
    `upgradeRolloutPreview(groupId: "${NONE}", release: "1.0.0") { __typename }`,
  ],
};

const ROLES: (Role | 'anonymous')[] = ['anonymous', 'viewer', 'editor', 'admin'];

let server: TestServer;
const users = {} as Record<Role, TestUser>;
beforeAll(async () => {
  server = await startTestServer();
  for (const role of ['viewer', 'editor', 'admin'] as const)
    users[role] = await createTestUser(server.ctx, role);
});
afterAll(() => server.close());

function expected(need: Need, role: Role | 'anonymous'): 'allowed' | 'UNAUTHENTICATED' | 'FORBIDDEN' {
  if (need === 'public') return 'allowed';
  if (role === 'anonymous') return 'UNAUTHENTICATED';
  return roleAtLeast(role, need) ? 'allowed' : 'FORBIDDEN';
}

function outcome(res: GqlResponse<Loose>, field: string): string {
  const code = res.errors?.[0]?.extensions?.code;
  if (code) return code;
  return res.data?.[field] === undefined ? 'missing' : 'allowed';
}

describe('role matrix', () => {
  it('covers every mutation and query of the schema', () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
    expect(Object.keys(QUERIES).sort()).toEqual(Object.keys(schema.getQueryType()!.getFields()).sort());
  });

  for (const [name, [need, input]] of Object.entries(MUTATIONS)) {
    it(`mutation ${name} needs ${need}`, async () => {
      const typeName = `${name[0].toUpperCase()}${name.slice(1)}Input!`;
      const results: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const role of ROLES) {
        const token = role === 'anonymous' ? undefined : users[role].token;
        const res = await gql(
          server.baseUrl,
          `mutation($input: ${typeName}) { ${name}(input: $input) { __typename } }`,
          { input: input() },
          { token },
        );
        results[role] = outcome(res, name);
        wanted[role] = expected(need, role);
      }
      expect(results).toEqual(wanted);
    });
  }

  for (const [name, [need, selection]] of Object.entries(QUERIES)) {
    it(`query ${name} needs ${need}`, async () => {
      const results: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const role of ROLES) {
        const token = role === 'anonymous' ? undefined : users[role].token;
        results[role] = outcome(await gql(server.baseUrl, `{ ${selection} }`, {}, { token }), name);
        wanted[role] = expected(need, role);
      }
      expect(results).toEqual(wanted);
    });
  }

  it('lets a token act with at most its own role, below its user’s', async () => {
    const limited = await createApiToken(server.ctx, CLI_ACTOR, {
      userId: users.admin.id,
      name: 'read only',
      role: 'viewer',
    });
    const res = await gql(
      server.baseUrl,
      'mutation { createGroup(input: { slug: "nope-x", name: "x" }) { __typename } }',
      {},
      { token: limited.token },
    );
    expect(outcome(res, 'createGroup')).toBe('FORBIDDEN');
  });
});
