/** Fleet domain: groups and config publication (pipeline edits: pipeline-drafts/pipeline-versions tests). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createGroup, deleteGroup, updateGroup } from '../../api/fleet/groups.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { inTransaction } from '../../api/fleet/transaction.ts';
import { storeVersion } from '../../api/fleet/publish.ts';
import {
  DEMO_PIPELINE,
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  publishComponent,
  uniqueSlug,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

async function rendered(groupId: string, platform: 'linux' | 'kubernetes') {
  const group = await server.ctx.db.group.findUniqueOrThrow({ where: { id: groupId } });
  const row = await server.ctx.db.renderedConfig.findUniqueOrThrow({
    where: { groupId_version_platform: { groupId, version: group.configVersion, platform } },
  });
  return { version: group.configVersion, yaml: row.yaml };
}

const audits = (targetId: string) =>
  server.ctx.db.auditEvent.findMany({ where: { targetId }, orderBy: { createdAt: 'asc' } });

describe('groups', () => {
  it('creates a group at version 1 with {} for every platform, audited', async () => {
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug(), name: 'Edge' });
    expect(group.configVersion).toBe(1);
    expect((await rendered(group.id, 'linux')).yaml).toBe('{}');
    expect((await rendered(group.id, 'kubernetes')).yaml).toBe('{}');
    expect((await audits(group.id)).map((a) => a.action)).toEqual(['group.create']);
  });

  it('validates the slug and refuses a taken one, writing nothing', async () => {
    const bad = await failure(createGroup(server.ctx, CLI_ACTOR, { slug: 'Not A Slug', name: 'x' }));
    expect(bad.code).toBe('validation_failed');
    expect(bad.issues[0].path).toBe('slug');
    const slug = uniqueSlug();
    await createGroup(server.ctx, CLI_ACTOR, { slug, name: 'One' });
    const count = await server.ctx.db.group.count();
    const taken = await failure(createGroup(server.ctx, CLI_ACTOR, { slug, name: 'Two' }));
    expect(taken.code).toBe('conflict');
    expect(await server.ctx.db.group.count()).toBe(count);
  });

  it('renaming publishes the same pipeline as a version saying why; a description alone does not', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const before = await rendered(group.id, 'linux');
    const renamed = await updateGroup(server.ctx, CLI_ACTOR, { id: group.id, name: 'New name' });
    expect(renamed.configVersion).toBe(group.configVersion + 1);
    const version = await server.ctx.db.pipelineVersion.findUniqueOrThrow({
      where: { groupId_version: { groupId: group.id, version: renamed.configVersion } },
    });
    expect(version).toMatchObject({
      message: `Group renamed from "${group.name}" to "New name" (pipeline unchanged)`,
      author: CLI_ACTOR.label,
      rollbackOf: null,
    });
    expect((await rendered(group.id, 'linux')).yaml).toBe(before.yaml);
    const described = await updateGroup(server.ctx, CLI_ACTOR, {
      id: group.id,
      description: 'front web tier',
    });
    expect(described.configVersion).toBe(renamed.configVersion);
    expect(described.description).toBe('front web tier');
  });

  it('refuses a rename while the published pipeline no longer passes the checks, changing nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    // A version stored before today's checks (as a migrated one may be): its sink reads nothing that exists.
    const dangling = {
      components: DEMO_PIPELINE.components.map((c) => (c.kind === 'sink' ? { ...c, inputs: ['ghost'] } : c)),
    };
    const stored = await inTransaction(server.ctx, (tx, emit) =>
      storeVersion(tx, emit, group.id, dangling, {
        actor: CLI_ACTOR,
        message: 'older checks',
        now: server.ctx.clock(),
        offlineAfterMs: 300_000,
      }),
    );
    const refused = await failure(updateGroup(server.ctx, CLI_ACTOR, { id: group.id, name: 'Renamed' }));
    expect(refused.code).toBe('config_invalid');
    expect(refused.message).toContain('no longer passes the checks');
    expect(refused.issues).toContainEqual(expect.objectContaining({ path: 'out.inputs' }));
    const after = await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
    expect({ name: after.name, configVersion: after.configVersion }).toEqual({
      name: group.name,
      configVersion: stored,
    });
    expect(await server.ctx.db.pipelineVersion.count({ where: { groupId: group.id } })).toBe(stored);
  });

  it('refuses to delete a group with agents, then deletes it once they are revoked', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const refused = await failure(deleteGroup(server.ctx, CLI_ACTOR, { id: group.id }));
    expect(refused.code).toBe('group_not_empty');
    expect(await server.ctx.db.group.count({ where: { id: group.id } })).toBe(1);
    await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
    await deleteGroup(server.ctx, CLI_ACTOR, { id: group.id });
    expect(await server.ctx.db.group.count({ where: { id: group.id } })).toBe(0);
  });
});

describe('publication', () => {
  it('publishes versions one after another under concurrent applies', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        publishComponent(server.ctx, CLI_ACTOR, group.id, {
          id: `out-${i}`,
          kind: 'sink',
          type: 'console',
          options: { encoding: { codec: 'json' } },
        }),
      ),
    );
    const versions = await server.ctx.db.renderedConfig.findMany({
      where: { groupId: group.id, platform: 'linux' },
      orderBy: { version: 'asc' },
    });
    expect(versions.map((v) => v.version)).toEqual(
      Array.from({ length: group.configVersion + 5 }, (_, i) => i + 1),
    );
    const rows = await server.ctx.db.pipelineVersion.findMany({ where: { groupId: group.id } });
    expect(rows).toHaveLength(group.configVersion + 5);
  });
});
