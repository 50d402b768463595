/**
 * Versioned pipelines over GraphQL with API tokens: an editor edits the draft (typed errors per
 * field, conflicts naming who), reads problems, preview and diff, publishes with a message, rolls
 * back and applies a file; a viewer reads drafts, versions, diffs and plans but cannot write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline } from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const ERROR = '... on Error { code message fields { path message } }';
const DRAFT = `__typename ${ERROR} ... on UpdateDraftComponentPayload { draft { revision updatedBy problems { severity component field rule } } }`;
const UPDATE_COMPONENT = `mutation($input: UpdateDraftComponentInput!) { updateDraftComponent(input: $input) { ${DRAFT} } }`;
const ADD_COMPONENT = `mutation($input: AddDraftComponentInput!) { addDraftComponent(input: $input) {
  __typename ${ERROR} ... on AddDraftComponentPayload { draft { revision problems { severity component rule } } } } }`;
const PUBLISH = `mutation($input: PublishDraftInput!) { publishDraft(input: $input) {
  __typename ${ERROR} ... on PublishDraftPayload { version { version message author agentCount } } } }`;
const GROUP = `query($slug: String!) { group(slug: $slug) {
  configVersion draftRevision
  draft { revision baseVersion updatedBy changed components { id kind enabled inputs } preview(platform: linux)
    diff { changed components { id change fields } platforms { platform changed unified } } }
  pipelineVersions { version message author rollbackOf }
} }`;

const as = (user: TestUser) => ({ token: user.token });
/** How the audit log and drafts name a user acting through its API token. */
const label = (user: TestUser) => `${user.email} (token test ${user.role})`;

describe('pipelines over GraphQL', () => {
  it('edits, checks, publishes and rolls back with an editor token; the viewer reads it all', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const edit = await gqlData(
      server.baseUrl,
      UPDATE_COMPONENT,
      { input: { groupId: group.id, revision: 0, id: 'out', changes: { inputs: ['demo', 'ghost'] } } },
      as(editor),
    );
    expect(edit.updateDraftComponent.draft).toMatchObject({ revision: 1, updatedBy: label(editor) });
    expect(edit.updateDraftComponent.draft.problems).toContainEqual(
      expect.objectContaining({ severity: 'error', component: 'out', rule: 'unknown-input' }),
    );

    const stale = await gqlData(
      server.baseUrl,
      UPDATE_COMPONENT,
      { input: { groupId: group.id, revision: 0, id: 'demo', changes: { enabled: false } } },
      as(editor),
    );
    expect(stale.updateDraftComponent).toMatchObject({
      __typename: 'DraftConflictError',
      code: 'draft_conflict',
    });
    expect(stale.updateDraftComponent.message).toContain(editor.email);

    const refused = await gqlData(
      server.baseUrl,
      PUBLISH,
      { input: { groupId: group.id, revision: 1, message: 'bad' } },
      as(editor),
    );
    expect(refused.publishDraft).toMatchObject({ __typename: 'ConfigInvalidError', code: 'config_invalid' });
    expect(refused.publishDraft.fields).toContainEqual(expect.objectContaining({ path: 'out.inputs' }));

    await gqlData(
      server.baseUrl,
      UPDATE_COMPONENT,
      {
        input: {
          groupId: group.id,
          revision: 1,
          id: 'out',
          changes: { inputs: ['demo'], options: { encoding: { codec: 'text' } } },
        },
      },
      as(editor),
    );
    const read = (await gqlData(server.baseUrl, GROUP, { slug: group.slug }, as(viewer))).group;
    expect(read.draftRevision).toBe(2);
    expect(read.draft.changed).toBe(true);
    expect(read.draft.preview).toContain('codec: text');
    expect(read.draft.diff.components).toEqual([
      { id: 'out', change: 'changed', fields: ['options.encoding'] },
    ]);
    expect(read.draft.diff.platforms[0].unified).toContain('+      codec: text');

    const viewerWrite = await gql(
      server.baseUrl,
      PUBLISH,
      { input: { groupId: group.id, revision: 2, message: 'v' } },
      as(viewer),
    );
    expect(viewerWrite.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const published = await gqlData(
      server.baseUrl,
      PUBLISH,
      { input: { groupId: group.id, revision: 2, message: 'text codec' } },
      as(editor),
    );
    expect(published.publishDraft.version).toMatchObject({
      version: group.configVersion + 1,
      message: 'text codec',
      author: label(editor),
    });

    const rollback = await gqlData(
      server.baseUrl,
      `mutation($input: RollbackToVersionInput!) { rollbackToVersion(input: $input) {
        __typename ${ERROR} ... on RollbackToVersionPayload { version { version rollbackOf } } } }`,
      { input: { groupId: group.id, version: group.configVersion } },
      as(editor),
    );
    expect(rollback.rollbackToVersion.version).toEqual({
      version: group.configVersion + 2,
      rollbackOf: group.configVersion,
    });

    const history = (await gqlData(server.baseUrl, GROUP, { slug: group.slug }, as(viewer))).group;
    expect(history.draft).toBeNull();
    expect(history.pipelineVersions.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1]);
    const diff = await gqlData(
      server.baseUrl,
      `query($slug: String!) { group(slug: $slug) { pipelineDiff(from: 2, to: 3) { changed components { id change } } } }`,
      { slug: group.slug },
      as(viewer),
    );
    expect(diff.group.pipelineDiff).toEqual({
      changed: true,
      components: [{ id: 'out', change: 'changed' }],
    });
  });

  it('adds a component with a field error typed on its path, storing nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const bad = await gqlData(
      server.baseUrl,
      ADD_COMPONENT,
      {
        input: {
          groupId: group.id,
          revision: 0,
          component: { id: 'Bad.Id', kind: 'transform', type: 'filter' },
        },
      },
      as(editor),
    );
    expect(bad.addDraftComponent).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'component.id' }],
    });
    const nul = await gql(
      server.baseUrl,
      ADD_COMPONENT,
      {
        input: {
          groupId: group.id,
          revision: 0,
          component: { id: 'x', kind: 'source', type: 'demo\u0000logs' },
        },
      },
      as(editor),
    );
    expect(nul.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const draft = await gqlData(server.baseUrl, GROUP, { slug: group.slug }, as(viewer));
    expect(draft.group.draft).toBeNull();
  });

  it('says a draft equal to the published version has no changes, and publishing it is a typed error', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    for (const [revision, enabled] of [
      [0, false],
      [1, true],
    ] as const) {
      await gqlData(
        server.baseUrl,
        UPDATE_COMPONENT,
        { input: { groupId: group.id, revision, id: 'demo', changes: { enabled } } },
        as(editor),
      );
    }
    const read = (await gqlData(server.baseUrl, GROUP, { slug: group.slug }, as(viewer))).group;
    expect(read.draft).toMatchObject({ revision: 2, changed: false, diff: { changed: false } });
    const refused = await gqlData(
      server.baseUrl,
      PUBLISH,
      { input: { groupId: group.id, revision: 2, message: 'nothing' } },
      as(editor),
    );
    expect(refused.publishDraft).toMatchObject({
      __typename: 'NothingToPublishError',
      code: 'nothing_to_publish',
    });
    const after = (await gqlData(server.baseUrl, GROUP, { slug: group.slug }, as(viewer))).group;
    expect(after.configVersion).toBe(group.configVersion);
    expect(after.pipelineVersions).toHaveLength(read.pipelineVersions.length);
  });

  it('plans with a viewer token and applies with an editor token, once', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const { group: exported } = await gqlData(
      server.baseUrl,
      `query($slug: String!) { group(slug: $slug) { pipelineYaml } }`,
      { slug: group.slug },
      as(viewer),
    );
    const yaml = (exported.pipelineYaml as string).replace('format: json', 'format: syslog');
    const PLAN = `query($input: PlanPipelineInput!) { pipelinePlan(input: $input) {
      __typename ${ERROR} ... on PipelinePlanPayload { plan { changed valid version diff { components { id fields } } } } } }`;
    const plan = await gqlData(server.baseUrl, PLAN, { input: { groupId: group.id, yaml } }, as(viewer));
    expect(plan.pipelinePlan.plan).toMatchObject({
      changed: true,
      valid: true,
      diff: { components: [{ id: 'demo', fields: ['options.format'] }] },
    });
    const APPLY = `mutation($input: ApplyPipelineInput!) { applyPipeline(input: $input) {
      __typename ${ERROR} ... on ApplyPipelinePayload { result { created version { version message } } } } }`;
    const first = await gqlData(
      server.baseUrl,
      APPLY,
      { input: { groupId: group.id, yaml, message: 'from CI' } },
      as(editor),
    );
    expect(first.applyPipeline.result).toEqual({
      created: true,
      version: { version: group.configVersion + 1, message: 'from CI' },
    });
    const again = await gqlData(
      server.baseUrl,
      APPLY,
      { input: { groupId: group.id, yaml, message: 'again' } },
      as(editor),
    );
    expect(again.applyPipeline.result.created).toBe(false);
  });
});
