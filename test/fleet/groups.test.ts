/** Fleet domain: groups, inputs, outputs and config publication. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createGroup, deleteGroup, updateGroup } from '../../api/fleet/groups.ts';
import { createInput, deleteInput, updateInput } from '../../api/fleet/inputs.ts';
import { createOutput, deleteOutput, updateOutput } from '../../api/fleet/outputs.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken, uniqueSlug } from '../helpers/factories.ts';

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

  it('renaming bumps the config version; a description alone does not', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const renamed = await updateGroup(server.ctx, CLI_ACTOR, { id: group.id, name: 'New name' });
    expect(renamed.configVersion).toBe(group.configVersion + 1);
    const described = await updateGroup(server.ctx, CLI_ACTOR, {
      id: group.id,
      description: 'front web tier',
    });
    expect(described.configVersion).toBe(renamed.configVersion);
    expect(described.description).toBe('front web tier');
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

describe('inputs and outputs', () => {
  it('refuses an input while the group has no output (the config would fail vector validate)', async () => {
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug(), name: 'No sinks' });
    const error = await failure(
      createInput(server.ctx, CLI_ACTOR, {
        groupId: group.id,
        name: 'sys',
        type: 'syslog',
        options: { mode: 'udp', address: '0.0.0.0:514' },
      }),
    );
    expect(error.code).toBe('config_invalid');
    expect(await server.ctx.db.input.count({ where: { groupId: group.id } })).toBe(0);
    expect((await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } })).configVersion).toBe(1);
  });

  it('validates options against the catalogue and names the field', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const missing = await failure(
      createInput(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'sock', type: 'socket', options: {} }),
    );
    expect(missing.code).toBe('validation_failed');
    expect(missing.issues.map((i) => i.path)).toContain('options.mode');
    const badEnum = await failure(
      createInput(server.ctx, CLI_ACTOR, {
        groupId: group.id,
        name: 'sock',
        type: 'socket',
        options: { mode: 'carrier-pigeon' },
      }),
    );
    expect(badEnum.issues[0].path).toBe('options.mode');
    const unknownType = await failure(
      createInput(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'x', type: 'telepathy' }),
    );
    expect(unknownType.issues[0].path).toBe('type');
    const badName = await failure(
      createInput(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'has.dot', type: 'journald' }),
    );
    expect(badName.issues[0].path).toBe('name');
  });

  it('defaults platforms from the source type and refuses platforms the type does not run on', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const journald = await createInput(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      name: 'journal',
      type: 'journald',
    });
    expect(journald.platforms).toEqual(['linux']);
    const k8s = await createInput(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      name: 'pods',
      type: 'kubernetes_logs',
    });
    expect(k8s.platforms).toEqual(['kubernetes']);
    const wrong = await failure(
      createInput(server.ctx, CLI_ACTOR, {
        groupId: group.id,
        name: 'j2',
        type: 'journald',
        platforms: ['kubernetes'],
      }),
    );
    expect(wrong.issues[0].path).toBe('platforms');
    const linux = YAML.parse((await rendered(group.id, 'linux')).yaml);
    const kube = YAML.parse((await rendered(group.id, 'kubernetes')).yaml);
    expect(Object.keys(linux.sources).sort()).toEqual(['demo', 'journal']);
    expect(Object.keys(kube.sources).sort()).toEqual(['demo', 'pods']);
  });

  it('omits disabled inputs and stamps routing overrides with a remap transform', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const input = await server.ctx.db.input.findFirstOrThrow({ where: { groupId: group.id } });
    const before = (await rendered(group.id, 'linux')).version;
    await updateInput(server.ctx, CLI_ACTOR, {
      id: input.id,
      indexOverride: 'prod',
      sourcetypeOverride: 'nginx_access',
      sourceOverride: 'fw1',
    });
    const routed = YAML.parse((await rendered(group.id, 'linux')).yaml);
    expect(routed.transforms.demo_routing.type).toBe('remap');
    expect(routed.transforms.demo_routing.source).toContain('.index = "prod"');
    expect(routed.sinks.out.inputs).toEqual(['demo_routing']);
    await updateInput(server.ctx, CLI_ACTOR, { id: input.id, enabled: false });
    const after = await rendered(group.id, 'linux');
    expect(after.yaml).toBe('{}');
    expect(after.version).toBe(before + 2);
  });

  it('lets an output narrow its inputs, and refuses deleting the last input it reads', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const demo = await server.ctx.db.input.findFirstOrThrow({ where: { groupId: group.id } });
    await createInput(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'journal', type: 'journald' });
    const narrow = await createOutput(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      name: 'only-demo',
      type: 'blackhole',
      inputIds: [demo.id],
    });
    const config = YAML.parse((await rendered(group.id, 'linux')).yaml);
    expect(config.sinks['only-demo'].inputs).toEqual(['demo']);
    expect(config.sinks.out.inputs).toEqual(['demo', 'journal']);
    const refused = await failure(deleteInput(server.ctx, CLI_ACTOR, { id: demo.id }));
    expect(refused.code).toBe('conflict');
    const foreign = await failure(
      updateOutput(server.ctx, CLI_ACTOR, {
        id: narrow.id,
        inputIds: ['00000000-0000-4000-8000-000000000000'],
      }),
    );
    expect(foreign.issues[0].path).toBe('inputIds');
  });

  it('refuses deleting the only output of a group with inputs, and keeps the old config', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const output = await server.ctx.db.output.findFirstOrThrow({ where: { groupId: group.id } });
    const before = await rendered(group.id, 'linux');
    const error = await failure(deleteOutput(server.ctx, CLI_ACTOR, { id: output.id }));
    expect(error.code).toBe('config_invalid');
    expect(await rendered(group.id, 'linux')).toEqual(before);
    expect(await server.ctx.db.output.count({ where: { id: output.id } })).toBe(1);
    expect((await audits(output.id)).map((a) => a.action)).toEqual(['output.create']);
  });

  it('publishes versions one after another under concurrent edits', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        createInput(server.ctx, CLI_ACTOR, {
          groupId: group.id,
          name: `file-${i}`,
          type: 'file',
          options: { include: [`/var/log/${i}.log`] },
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
    const last = YAML.parse(versions.at(-1)!.yaml);
    expect(Object.keys(last.sources)).toHaveLength(6);
  });
});
