/**
 * Fleet domain: publishing a draft, rollback, history, diffs and pipelines-as-code; bad drafts
 * are refused with typed errors, nothing stored and nothing delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { updateDraft, getDraft } from '../../api/fleet/pipeline/draft.ts';
import { addDraftComponent, updateDraftComponent } from '../../api/fleet/pipeline/component-edits.ts';
import { agentsByVersion, publishDraft, rollbackToVersion } from '../../api/fleet/pipeline/versions.ts';
import { applyPipeline, exportPipeline, planPipeline } from '../../api/fleet/pipeline/code.ts';
import { diffDocuments } from '../../api/fleet/pipeline/diff.ts';
import { storedDocument } from '../../api/fleet/pipeline/document.ts';
import { paths, headers } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { DEMO_PIPELINE, createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const alice: Actor = { type: 'user', id: null, label: 'alice@example.com', role: 'editor' };

async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

/** An agent of a new DEMO_PIPELINE group that polled its config; returns how to poll again. */
async function groupWithAgent() {
  const group = await createGroupWithPipeline(server.ctx);
  const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  const poll = async (since = 0) => {
    const res = await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=${since}`, {
      headers: { authorization: `Bearer ${agent.agentToken}` },
    });
    return {
      status: res.status,
      version: Number(res.headers.get(headers.configVersion)),
      yaml: await res.text(),
    };
  };
  return { group, poll };
}

const versions = (groupId: string) =>
  server.ctx.db.pipelineVersion.findMany({ where: { groupId }, orderBy: { version: 'asc' } });

describe('publishing', () => {
  it('publishes the draft with a message as an immutable version agents get, and clears the draft', async () => {
    const { group, poll } = await groupWithAgent();
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'demo',
      changes: { options: { format: 'syslog' } },
    });
    const version = await publishDraft(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      message: 'syslog demo',
    });
    expect(version).toBe(group.configVersion + 1);
    const row = (await versions(group.id)).at(-1)!;
    expect(row).toMatchObject({
      version,
      message: 'syslog demo',
      author: 'alice@example.com',
      rollbackOf: null,
    });
    expect(await getDraft(server.ctx, group.id)).toBeNull();
    const got = await poll(group.configVersion);
    expect(got).toMatchObject({ status: 200, version });
    expect(got.yaml).toContain('format: syslog');
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { targetId: group.id, action: 'pipeline.publish' },
    });
    expect(audit.after).toMatchObject({ version, message: 'syslog demo' });
  });

  it('refuses an invalid draft with per-component errors: nothing stored, nothing delivered', async () => {
    const { group, poll } = await groupWithAgent();
    const cycle = {
      components: [
        DEMO_PIPELINE.components[0],
        { id: 'a', kind: 'transform', type: 'filter', options: { condition: 'true' }, inputs: ['demo', 'b'] },
        { id: 'b', kind: 'transform', type: 'filter', options: { condition: 'true' }, inputs: ['a'] },
        { ...DEMO_PIPELINE.components[1], inputs: ['b', 'ghost'] },
      ],
    };
    await updateDraft(server.ctx, alice, { groupId: group.id, revision: 0, document: cycle });
    const error = await failure(
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 1, message: 'x' }),
    );
    expect(error.code).toBe('config_invalid');
    const paths = error.issues.map((i) => i.path);
    expect(paths.some((p) => p.startsWith('out'))).toBe(true);
    expect(error.issues.some((i) => /^a(\.|$)/.test(i.path) && /cyclic/i.test(i.message))).toBe(true);
    expect((await versions(group.id)).at(-1)?.version).toBe(group.configVersion);
    expect((await poll(group.configVersion)).status).toBe(204);
    expect((await getDraft(server.ctx, group.id))?.revision).toBe(1);
  });

  it('refuses VRL the server can tell is broken, naming the remap and its program', async () => {
    const { group, poll } = await groupWithAgent();
    const [demo, out] = DEMO_PIPELINE.components;
    const parse = {
      id: 'parse',
      kind: 'transform',
      type: 'remap',
      options: { source: '. = parse_jsn!(.message' },
      inputs: ['demo'],
    };
    await updateDraft(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      document: { components: [demo, parse, { ...out, inputs: ['parse'] }] },
    });
    const error = await failure(
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 1, message: 'parse' }),
    );
    expect(error.code).toBe('config_invalid');
    const vrl = error.issues.filter((i) => i.path.startsWith('parse.'));
    expect(vrl.map((i) => i.message).join('\n')).toMatch(/parse_jsn/);
    expect(vrl.map((i) => i.message).join('\n')).toMatch(/\(|unclosed|closed/i);
    expect((await versions(group.id)).at(-1)?.version).toBe(group.configVersion);
    expect((await poll(group.configVersion)).status).toBe(204);
  });

  it('lets exactly one of two concurrent publishes of one draft win', async () => {
    const { group } = await groupWithAgent();
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'out',
      changes: { options: { encoding: { codec: 'text' } } },
    });
    const results = await Promise.allSettled([
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 1, message: 'one' }),
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 1, message: 'two' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as FleetError] : []));
    expect(won).toHaveLength(1);
    expect(['draft_not_found', 'draft_conflict']).toContain(lost[0].code);
    expect(await versions(group.id)).toHaveLength(3);
  });

  it('refuses to publish a draft equal to the published version: nothing stored, nothing delivered', async () => {
    const { group, poll } = await groupWithAgent();
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'demo',
      changes: { enabled: false },
    });
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      id: 'demo',
      changes: { enabled: true },
    });
    const audits = await server.ctx.db.auditEvent.count({ where: { targetId: group.id } });
    const error = await failure(
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 2, message: 'no-op' }),
    );
    expect(error.code).toBe('nothing_to_publish');
    expect(error.message).toContain(`published version ${group.configVersion}`);
    expect((await versions(group.id)).at(-1)?.version).toBe(group.configVersion);
    expect(await server.ctx.db.auditEvent.count({ where: { targetId: group.id } })).toBe(audits);
    expect((await poll(group.configVersion)).status).toBe(204);
    expect((await getDraft(server.ctx, group.id))?.revision).toBe(2);
  });

  it('refuses a draft breaking the component policy with component_not_allowed', async () => {
    const { group } = await groupWithAgent();
    await addDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      component: { id: 'run', kind: 'source', type: 'exec', options: { mode: 'scheduled', command: ['id'] } },
    });
    const error = await failure(
      publishDraft(server.ctx, alice, { groupId: group.id, revision: 1, message: 'exec' }),
    );
    expect(error.code).toBe('component_not_allowed');
    expect(error.issues[0].path).toBe('run.type');
  });
});

describe('history and rollback', () => {
  it('rolls back by publishing an older version as a new one, audited with the source', async () => {
    const { group, poll } = await groupWithAgent();
    const original = group.configVersion;
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'demo',
      changes: { enabled: false },
    });
    const disabled = await publishDraft(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      message: 'stop demo',
    });
    expect((await poll(original)).yaml).toBe('{}');
    const back = await rollbackToVersion(server.ctx, alice, { groupId: group.id, version: original });
    expect(back).toBe(disabled + 1);
    const row = (await versions(group.id)).at(-1)!;
    expect(row).toMatchObject({ rollbackOf: original, message: `Rollback to version ${original}` });
    const [old, now] = await Promise.all(
      [original, back].map((version) =>
        server.ctx.db.renderedConfig.findUniqueOrThrow({
          where: { groupId_version_platform: { groupId: group.id, version, platform: 'linux' } },
        }),
      ),
    );
    expect(now.yaml).toBe(old.yaml);
    expect(now.etag).toBe(old.etag);
    expect(await poll(disabled)).toMatchObject({ status: 200, version: back });
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { targetId: group.id, action: 'pipeline.rollback' },
    });
    expect(audit.after).toMatchObject({ version: back, rollbackOf: original });
    const missing = await failure(rollbackToVersion(server.ctx, alice, { groupId: group.id, version: 999 }));
    expect(missing.code).toBe('version_not_found');
    const again = await failure(
      rollbackToVersion(server.ctx, alice, { groupId: group.id, version: original }),
    );
    expect(again.code).toBe('nothing_to_publish');
    expect((await versions(group.id)).at(-1)?.version).toBe(back);
  });

  it('counts the agents running each version', async () => {
    const { group } = await groupWithAgent();
    expect((await agentsByVersion(server.ctx, group.id)).get(0)).toBe(1);
  });

  it('diffs two versions: unified YAML per platform and a component summary', async () => {
    const { group } = await groupWithAgent();
    await addDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      component: {
        id: 'errors',
        kind: 'transform',
        type: 'filter',
        options: { condition: '.level == "error"' },
        inputs: ['demo'],
      },
    });
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      id: 'out',
      changes: { inputs: ['errors'] },
    });
    const version = await publishDraft(server.ctx, alice, {
      groupId: group.id,
      revision: 2,
      message: 'errors only',
    });
    const [from, to] = (await versions(group.id)).slice(-2);
    expect(to.version).toBe(version);
    const diff = diffDocuments(storedDocument(from.document), storedDocument(to.document), 'v2', 'v3');
    expect(diff.components).toEqual([
      { id: 'errors', kind: 'transform', type: 'filter', change: 'added', fields: [] },
      { id: 'out', kind: 'sink', type: 'console', change: 'changed', fields: ['inputs'] },
    ]);
    const linux = diff.platforms.find((p) => p.platform === 'linux')!;
    expect(linux.changed).toBe(true);
    expect(linux.unified).toContain('--- v2/linux.yaml');
    expect(linux.unified).toContain('+  errors:');
  });
});

describe('pipelines as code', () => {
  it('exports YAML, plans without writing, applies once, and applying the same content again creates nothing', async () => {
    const { group } = await groupWithAgent();
    const exported = await exportPipeline(server.ctx, group.id);
    expect(exported).toContain('id: demo');
    const same = await planPipeline(server.ctx, { groupId: group.id, yaml: exported });
    expect(same).toMatchObject({ changed: false, valid: true, version: group.configVersion });
    const edited = exported.replace('format: json', 'format: apache_common');
    const plan = await planPipeline(server.ctx, { groupId: group.id, yaml: edited });
    expect(plan.changed).toBe(true);
    expect(plan.diff.components).toEqual([
      expect.objectContaining({ id: 'demo', fields: ['options.format'] }),
    ]);
    expect((await versions(group.id)).length).toBe(2);
    const first = await applyPipeline(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      yaml: edited,
      message: 'from git',
    });
    expect(first).toEqual({ version: group.configVersion + 1, created: true });
    const again = await applyPipeline(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      yaml: edited,
      message: 'again',
    });
    expect(again).toEqual({ version: group.configVersion + 1, created: false });
  });

  it('refuses YAML that is not a pipeline, naming where', async () => {
    const { group } = await groupWithAgent();
    const bad = await failure(planPipeline(server.ctx, { groupId: group.id, yaml: 'components: [' }));
    expect(bad).toMatchObject({
      code: 'validation_failed',
      issues: [expect.objectContaining({ path: 'yaml' })],
    });
    const shape = await failure(
      applyPipeline(server.ctx, CLI_ACTOR, {
        groupId: group.id,
        yaml: 'components:\n  - id: x\n',
        message: 'm',
      }),
    );
    expect(shape.issues.map((i) => i.path)).toContain('yaml.components.0.kind');
  });
});
