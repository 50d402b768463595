/** Fleet domain: a group's draft pipeline — edits, revisions and conflicts, problems, discard, audit, events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { discardDraft, getDraft, updateDraft } from '../../api/fleet/pipeline/draft.ts';
import {
  addDraftComponent,
  connectDraftComponents,
  disconnectDraftComponents,
  removeDraftComponent,
  updateDraftComponent,
} from '../../api/fleet/pipeline/component-edits.ts';
import { MAX_PIPELINE_COMPONENTS, MAX_PIPELINE_DOCUMENT_BYTES } from '../../api/fleet/pipeline/document.ts';
import { pipelineProblems } from '../../api/fleet/pipeline/problems.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { DEMO_PIPELINE, createGroupWithPipeline, uniqueSlug } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const alice: Actor = { type: 'user', id: null, label: 'alice@example.com', role: 'editor' };
const bob: Actor = { type: 'user', id: null, label: 'bob@example.com', role: 'editor' };

async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

const draftComponent = (id: string, kind: 'source' | 'transform' | 'sink', type: string, extra = {}) => ({
  id,
  kind,
  type,
  ...extra,
});

describe('pipeline drafts', () => {
  it('starts from the published document on the first edit and delivers nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    expect(await getDraft(server.ctx, group.id)).toBeNull();
    const draft = await addDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      component: draftComponent('errors', 'transform', 'filter', {
        options: { condition: '.level == "error"' },
        inputs: ['demo'],
      }),
    });
    expect(draft.revision).toBe(1);
    expect(draft.baseVersion).toBe(group.configVersion);
    expect(draft.updatedBy).toBe('alice@example.com');
    expect(draft.document.components.map((c) => c.id)).toEqual(['demo', 'out', 'errors']);
    expect(draft.document.components[2]).toMatchObject({ enabled: true, platforms: ['linux', 'kubernetes'] });
    const after = await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
    expect(after.configVersion).toBe(group.configVersion);
  });

  it('refuses an edit on a stale revision with draft_conflict naming who changed it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'out',
      changes: { enabled: false },
    });
    const error = await failure(
      updateDraftComponent(server.ctx, bob, {
        groupId: group.id,
        revision: 0,
        id: 'demo',
        changes: { enabled: false },
      }),
    );
    expect(error.code).toBe('draft_conflict');
    expect(error.message).toContain('alice@example.com');
    const draft = await getDraft(server.ctx, group.id);
    expect(draft?.revision).toBe(1);
    expect(draft?.document.components.find((c) => c.id === 'demo')?.enabled).toBe(true);
  });

  it('stores a draft with graph problems and lists them per component and field', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const draft = await connectDraftComponents(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      from: 'nowhere',
      to: 'out',
    });
    const problems = pipelineProblems(draft.document);
    expect(problems.some((p) => p.severity === 'error' && p.component === 'out')).toBe(true);
    const back = await disconnectDraftComponents(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      from: 'nowhere',
      to: 'out',
    });
    expect(pipelineProblems(back.document)).toEqual([]);
  });

  it('holds sources before any sink (validation says what is missing)', async () => {
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug(), name: 'empty' });
    const draft = await addDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      component: draftComponent('demo', 'source', 'demo_logs', { options: { format: 'json' } }),
    });
    expect(pipelineProblems(draft.document).map((p) => p.rule)).toContain('no-sinks');
  });

  it('renames a component with every reference, and removes references with the component', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    let draft = await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'demo',
      changes: { id: 'app' },
    });
    expect(draft.document.components.find((c) => c.id === 'out')?.inputs).toEqual(['app']);
    draft = await removeDraftComponent(server.ctx, alice, { groupId: group.id, revision: 1, id: 'app' });
    expect(draft.document.components).toEqual([expect.objectContaining({ id: 'out', inputs: [] })]);
  });

  it('refuses what cannot be stored, naming the field, and stores nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const cases: [unknown, string][] = [
      [
        { components: [...DEMO_PIPELINE.components, DEMO_PIPELINE.components[0]] },
        'document.components.2.id',
      ],
      [{ components: [{ ...DEMO_PIPELINE.components[0], id: 'has.dot' }] }, 'document.components.0.id'],
      [
        { components: [{ ...DEMO_PIPELINE.components[0], options: { format: 'a\u0000b' } }] },
        'document.components.0.options',
      ],
      [{ components: [{ ...DEMO_PIPELINE.components[0], inputs: ['out'] }] }, 'document.components.0.inputs'],
      [{ components: [{ ...DEMO_PIPELINE.components[0], extra: 1 }] }, 'document.components.0'],
      [
        {
          components: Array.from({ length: MAX_PIPELINE_COMPONENTS + 1 }, (_, i) =>
            draftComponent(`s${i}`, 'source', 'demo_logs'),
          ),
        },
        'document.components',
      ],
      [
        {
          components: [
            draftComponent('big', 'source', 'demo_logs', {
              options: { lines: ['x'.repeat(MAX_PIPELINE_DOCUMENT_BYTES)] },
            }),
          ],
        },
        'document.components',
      ],
    ];
    for (const [document, path] of cases) {
      const error = await failure(
        updateDraft(server.ctx, alice, { groupId: group.id, revision: 0, document }),
      );
      expect(error.code).toBe('validation_failed');
      expect(error.issues.map((i) => i.path)).toContain(path);
    }
    expect(await server.ctx.db.pipelineDraft.count({ where: { groupId: group.id } })).toBe(0);
  });

  it('refuses a literal credential in a sensitive option (secret_required)', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(
      addDraftComponent(server.ctx, alice, {
        groupId: group.id,
        revision: 0,
        component: draftComponent('hec', 'sink', 'splunk_hec_logs', {
          inputs: ['demo'],
          options: {
            endpoint: 'https://splunk.example.com:8088',
            default_token: 'plain',
            encoding: { codec: 'json' },
          },
        }),
      }),
    );
    expect(error.code).toBe('secret_required');
    expect(error.issues[0].path).toBe('components.2.options.default_token');
    expect(await getDraft(server.ctx, group.id)).toBeNull();
  });

  it('discards in one action; the next edit names the revision after the discard', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'out',
      changes: { enabled: false },
    });
    expect(await discardDraft(server.ctx, bob, { groupId: group.id })).toBe(2);
    expect(await getDraft(server.ctx, group.id)).toBeNull();
    expect((await failure(discardDraft(server.ctx, bob, { groupId: group.id }))).code).toBe(
      'draft_not_found',
    );
    const stale = await failure(
      updateDraftComponent(server.ctx, alice, {
        groupId: group.id,
        revision: 1,
        id: 'out',
        changes: { enabled: false },
      }),
    );
    expect(stale.code).toBe('draft_conflict');
    expect(stale.message).toContain('bob@example.com');
  });

  it('audits every edit and announces it on groupUpdated', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const seen: string[] = [];
    const stop = server.ctx.events.subscribe('groupUpdated', (e) => {
      if (e.groupId === group.id) seen.push(e.groupId);
    });
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 0,
      id: 'out',
      changes: { enabled: false },
    });
    await updateDraftComponent(server.ctx, alice, {
      groupId: group.id,
      revision: 1,
      id: 'out',
      changes: { enabled: true },
    });
    await discardDraft(server.ctx, alice, { groupId: group.id });
    stop();
    expect(seen).toHaveLength(3);
    const actions = await server.ctx.db.auditEvent.findMany({
      where: { targetId: group.id, action: { startsWith: 'pipeline.draft.' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(actions.map((a) => a.action)).toEqual([
      'pipeline.draft.disable',
      'pipeline.draft.enable',
      'pipeline.draft.discard',
    ]);
  });
});
