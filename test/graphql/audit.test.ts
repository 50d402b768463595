/**
 * The audit log over GraphQL: target names, hidden sign-ins and the bounded CSV / JSON export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EXPORT_MAX_ROWS } from '../../api/fleet/audit.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { deleteGroup, updateGroup } from '../../api/fleet/groups.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, loginCookie, type Loose, type TestUser } from './helpers.ts';

let server: TestServer;
let admin: TestUser;
let editor: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  [admin, editor] = await Promise.all([
    createTestUser(server.ctx, 'admin'),
    createTestUser(server.ctx, 'editor'),
  ]);
});
afterAll(() => server.close());

const asAdmin = (q: string, v: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, q, v, { token: admin.token });

const EVENTS = `query($filter: AuditEventFilter) { auditEvents(first: 100, filter: $filter) {
  totalCount edges { node { action targetType targetId targetName targetSlug createdAt } } } }`;
const EXPORT = `query($filter: AuditEventFilter, $format: AuditExportFormat!) { auditExport(filter: $filter, format: $format) }`;

const nodes = (res: Loose): Loose[] => res.auditEvents.edges.map((e: Loose) => e.node);

describe('audit target names', () => {
  it('names agents, groups and users by their current name; a deleted target has none', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id), {
      hostname: 'audit-web-01',
    });
    const agentEvents = nodes(await asAdmin(EVENTS, { filter: { targetId: agent.agentId } }));
    expect(agentEvents[0]).toMatchObject({
      action: 'agent.enrol',
      targetType: 'agent',
      targetName: 'audit-web-01',
      targetSlug: null,
    });

    const groupEvents = nodes(await asAdmin(EVENTS, { filter: { targetId: group.id } }));
    expect(groupEvents.map((e) => [e.action, e.targetName, e.targetSlug])).toContainEqual([
      'group.create',
      group.name,
      group.slug,
    ]);
    const users = nodes(await asAdmin(EVENTS, { filter: { targetType: 'user', includeSessions: true } }));
    expect(users.find((e) => e.targetId === admin.id)?.targetName).toBe(admin.email);

    const doomed = await createGroupWithPipeline(server.ctx);
    await deleteGroup(server.ctx, CLI_ACTOR, { id: doomed.id });
    const gone = nodes(await asAdmin(EVENTS, { filter: { targetId: doomed.id } }));
    expect(gone.map((e) => e.action)).toContain('group.delete');
    expect(gone.every((e) => e.targetName === null && e.targetSlug === null)).toBe(true);
  });
});

describe('session events', () => {
  it('hides sign-ins unless includeSessions is set or a session action is named', async () => {
    await loginCookie(server.baseUrl, editor.email, editor.password);
    const byDefault = nodes(await asAdmin(EVENTS, { filter: { targetId: editor.id } }));
    expect(byDefault.some((e) => e.action.startsWith('session.'))).toBe(false);
    const withSessions = nodes(
      await asAdmin(EVENTS, { filter: { targetId: editor.id, includeSessions: true } }),
    );
    expect(withSessions.map((e) => e.action)).toContain('session.start');
    const named = await asAdmin(EVENTS, { filter: { targetId: editor.id, actions: ['session.start'] } });
    expect(named.auditEvents.totalCount).toBeGreaterThan(0);
  });
});

describe('audit export', () => {
  it('exports the current filter as JSON and CSV with absolute times and target names', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const tricky = '=cmd, "quoted"\nsecond line';
    await updateGroup(server.ctx, CLI_ACTOR, { id: group.id, description: tricky });
    const filter = { targetId: group.id };
    const { auditExport: json } = await asAdmin(EXPORT, { filter, format: 'JSON' });
    const rows = JSON.parse(json) as Loose[];
    expect(rows.map((r) => r.action)).toEqual(['group.update', 'pipeline.apply', 'group.create']);
    expect(rows[0]).toMatchObject({
      targetType: 'group',
      targetName: group.name,
      after: { description: tricky },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });

    const { auditExport: csv } = await asAdmin(EXPORT, { filter, format: 'CSV' });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'createdAt,actorType,actorLabel,action,targetType,targetId,targetName,before,after',
    );
    expect(lines[1]).toMatch(new RegExp(`^${rows[0].createdAt},cli,[^,]*,group\\.update,group,${group.id},`));
    // The JSON snapshot is one quoted cell with its quotes doubled.
    expect(csv).toContain(`""description"":""=cmd, \\""quoted\\""\\nsecond line""`);
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('escapes formulas in cells and stops at the row bound', async () => {
    const action = `test.bulk_${Date.now()}`;
    await server.ctx.db.auditEvent.createMany({
      data: Array.from({ length: AUDIT_EXPORT_MAX_ROWS + 3 }, (_, i) => ({
        actorType: 'system',
        actorLabel: i === 0 ? '=HYPERLINK("x")' : 'system',
        action,
        targetType: 'bulk',
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)),
      })),
    });
    const { auditExport: csv } = await asAdmin(EXPORT, { filter: { actions: [action] }, format: 'CSV' });
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(AUDIT_EXPORT_MAX_ROWS + 1);
    // Newest first: the oldest rows (the formula among them) fall beyond the bound.
    expect(lines[1]).toMatch(/^2026-01-01T00:00:10\.002Z,/);
    const { auditExport: json } = await asAdmin(EXPORT, {
      filter: { actions: [action], targetType: 'bulk' },
      format: 'JSON',
    });
    expect(JSON.parse(json)).toHaveLength(AUDIT_EXPORT_MAX_ROWS);
    await server.ctx.db.auditEvent.updateMany({
      where: { action, actorLabel: '=HYPERLINK("x")' },
      data: { createdAt: new Date(Date.UTC(2027, 0, 1)) },
    });
    const { auditExport: first } = await asAdmin(EXPORT, { filter: { actions: [action] }, format: 'CSV' });
    expect(first.split('\r\n')[1]).toContain(`,system,"'=HYPERLINK(""x"")",${action},`);
  });

  it('is for admins only', async () => {
    const res = await gql(server.baseUrl, '{ auditExport(format: CSV) }', {}, { token: editor.token });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
