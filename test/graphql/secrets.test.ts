/**
 * Secrets end to end: an editor stores a HEC token through GraphQL and references it; the value
 * appears in no GraphQL answer (pipeline, preview, secrets, audit), no log line and no other
 * group's config; only the group's agents receive it, and a changed value wakes a held poll with a
 * new version. Also the typed errors and the admin-only policy mutation over GraphQL.
 */
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { inTransaction } from '../../api/fleet/transaction.ts';
import { publishedDocument, storeVersion } from '../../api/fleet/publish.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { completeComponent } from '../../api/fleet/pipeline/document.ts';
import { documentYaml } from '../../api/fleet/pipeline/code.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, type Caller, type TestUser } from './helpers.ts';

const VALUE = `hec-${crypto.randomUUID()}`;
const NEW_VALUE = `hec-${crypto.randomUUID()}`;
const logLines: string[] = [];

let server: TestServer;
let editor: TestUser;
let admin: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({
    env: { FLOTILLA_SECRET_KEY: crypto.randomBytes(32).toString('hex') },
    log: pino({ level: 'trace' }, sink),
  });
  editor = await createTestUser(server.ctx, 'editor');
  admin = await createTestUser(server.ctx, 'admin');
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const CREATE_SECRET = `mutation($input: CreateSecretInput!) { createSecret(input: $input) {
  __typename ... on CreateSecretPayload { secret { id name reference scope } } ... on Error { code message } } }`;
const UPDATE_SECRET = `mutation($input: UpdateSecretInput!) { updateSecret(input: $input) {
  __typename ... on Error { code } } }`;
const APPLY = `mutation($input: ApplyPipelineInput!) { applyPipeline(input: $input) {
  __typename ... on ApplyPipelinePayload { result { created } } ... on Error { code message fields { path message } } } }`;
const READ_ALL = `query($slug: String!) {
  group(slug: $slug) {
    publishedVersion { components { options } }
    linux: configPreview(platform: linux) { yaml etag }
    secrets { id name reference scope createdBy updatedBy createdAt updatedAt }
    componentPolicy { allowedComponents guardedComponents { key allowed reason } }
  }
  fleetSecrets { name }
}`;
const READ_AUDIT = `{ auditEvents(first: 500) { edges { node { action before after } } } }`;

/** Publish the group's pipeline plus sink `name` reading `demo` (pipelines-as-code apply), as `caller`. */
async function createOutput(
  input: { groupId: string; name: string; type: string; options: Record<string, unknown> },
  caller: Caller,
) {
  const { components } = await publishedDocument(server.ctx.db, input.groupId);
  const sink = completeComponent({ ...input, id: input.name, kind: 'sink', inputs: ['demo'], enabled: true });
  const yaml = documentYaml({ components: [...components, sink] });
  const message = `add ${input.name}`;
  return (await gqlData(server.baseUrl, APPLY, { input: { groupId: input.groupId, yaml, message } }, caller))
    .applyPipeline;
}

const hec = (groupId: string) => ({
  groupId,
  name: 'splunk',
  type: 'splunk_hec_logs',
  options: {
    endpoint: 'https://splunk.example.com:8088',
    default_token: 'SECRET[hec_token]',
    encoding: { codec: 'json' },
  },
});

function poll(agent: { agentId: string; agentToken: string }, query: string) {
  return fetch(`${server.baseUrl}${paths.config(agent.agentId)}?${query}`, {
    headers: { authorization: `Bearer ${agent.agentToken}` },
  });
}

describe('secrets over GraphQL and the agent protocol', () => {
  it('never shows the value to readers, and delivers it only to the group’s agents', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroupWithPipeline(server.ctx);
    const created = await gqlData(
      server.baseUrl,
      CREATE_SECRET,
      { input: { groupId: group.id, name: 'hec_token', value: VALUE } },
      editor,
    );
    expect(created.createSecret.secret).toMatchObject({
      name: 'hec_token',
      reference: 'SECRET[hec_token]',
      scope: 'group',
    });
    await gqlData(
      server.baseUrl,
      CREATE_SECRET,
      { input: { groupId: other.id, name: 'hec_token', value: 'other-value' } },
      editor,
    );
    const output = await createOutput(hec(group.id), editor);
    expect(output.__typename).toBe('ApplyPipelinePayload');
    await createOutput(hec(other.id), editor);

    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const otherAgent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, other.id));
    const res = await poll(agent, 'since=0');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(VALUE);
    const hex = crypto.createHash('sha256').update(body).digest('hex');
    expect(res.headers.get('x-config-etag')).toBe(`sha256:${hex}`);
    const otherBody = await (await poll(otherAgent, 'since=0')).text();
    expect(otherBody).toContain('other-value');
    expect(otherBody).not.toContain(VALUE);

    // A changed value reaches a held poll as a new version.
    const version = Number(res.headers.get('x-config-version'));
    const held = poll(agent, `since=${version}&wait=20`);
    const secretId = created.createSecret.secret.id as string;
    const updated = await gqlData(
      server.baseUrl,
      UPDATE_SECRET,
      { input: { id: secretId, value: NEW_VALUE } },
      editor,
    );
    expect(updated.updateSecret.__typename).toBe('UpdateSecretPayload');
    const woken = await held;
    expect(woken.status).toBe(200);
    expect(Number(woken.headers.get('x-config-version'))).toBe(version + 1);
    const newBody = await woken.text();
    expect(newBody).toContain(NEW_VALUE);
    expect(woken.headers.get('x-config-etag')).not.toBe(res.headers.get('x-config-etag'));

    for (const caller of [viewer, editor, admin]) {
      const read = await gql(server.baseUrl, READ_ALL, { slug: group.slug }, caller);
      const text = JSON.stringify(read);
      expect(read.errors).toBeUndefined();
      expect(text).toContain('SECRET[hec_token]');
      expect(text).not.toContain(VALUE);
      expect(text).not.toContain(NEW_VALUE);
    }
    const audit = JSON.stringify(await gqlData(server.baseUrl, READ_AUDIT, {}, admin));
    expect(audit).toContain('secret.update');
    expect(audit).not.toContain(VALUE);
    expect(audit).not.toContain(NEW_VALUE);
    const rows = JSON.stringify(await server.ctx.db.auditEvent.findMany());
    expect(rows).not.toContain(VALUE);
    expect(rows).not.toContain(NEW_VALUE);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(VALUE);
    expect(logLines.join('')).not.toContain(NEW_VALUE);
  });

  it('masks a literal credential saved before references were required, yet still delivers it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    // A row as an older version stored it: the rule now refuses this through every fleet entry point.
    const { components } = await publishedDocument(server.ctx.db, group.id);
    const legacy = { ...hec(group.id), options: { ...hec(group.id).options, default_token: VALUE } };
    const sink = completeComponent({
      ...legacy,
      id: legacy.name,
      kind: 'sink',
      inputs: ['demo'],
      enabled: true,
    });
    await inTransaction(server.ctx, (tx, emit) =>
      storeVersion(
        tx,
        emit,
        group.id,
        { components: [...components, sink] },
        { actor: CLI_ACTOR, message: 'legacy', now: server.ctx.clock(), offlineAfterMs: 300_000 },
      ),
    );
    const read = await gqlData(server.baseUrl, READ_ALL, { slug: group.slug }, viewer);
    const text = JSON.stringify(read);
    expect(text).not.toContain(VALUE);
    expect(
      read.group.publishedVersion.components.map(
        (o: { options: { default_token?: string } }) => o.options.default_token,
      ),
    ).toContain('********');
    expect(read.group.linux.yaml).toContain('default_token: "********"');
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    expect(await (await poll(agent, 'since=0')).text()).toContain(VALUE);
  });

  it('answers typed errors: a literal token, a missing secret, a secret in use', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const literal = { ...hec(group.id), options: { ...hec(group.id).options, default_token: VALUE } };
    const res = await createOutput(literal, editor);
    expect(res).toMatchObject({
      code: 'secret_required',
      fields: [{ path: 'splunk.options.default_token' }],
    });
    expect(JSON.stringify(res)).not.toContain(VALUE);
    const missing = await createOutput(hec(group.id), editor);
    expect(missing).toMatchObject({ __typename: 'NotFoundError', code: 'secret_not_found' });
    const created = await gqlData(
      server.baseUrl,
      CREATE_SECRET,
      { input: { groupId: group.id, name: 'hec_token', value: 'x' } },
      editor,
    );
    await createOutput(hec(group.id), editor);
    const del = await gqlData(
      server.baseUrl,
      `mutation($input: DeleteSecretInput!) { deleteSecret(input: $input) { __typename ... on Error { code } } }`,
      { input: { id: created.createSecret.secret.id } },
      editor,
    );
    expect(del.deleteSecret).toEqual({ __typename: 'ConflictError', code: 'secret_in_use' });
  });

  it('refuses a guarded component with a ComponentPolicyError until an admin enables it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const input = {
      groupId: group.id,
      name: 'file_out',
      type: 'file',
      options: { path: '/var/log/out.log', encoding: { codec: 'json' } },
    };
    const refused = await createOutput(input, editor);
    expect(refused).toMatchObject({
      __typename: 'ComponentPolicyError',
      code: 'component_not_allowed',
      fields: [{ path: 'file_out.type' }],
    });
    const SET = `mutation($input: SetGroupComponentPolicyInput!) { setGroupComponentPolicy(input: $input) {
      __typename ... on SetGroupComponentPolicyPayload { group { componentPolicy { allowedComponents } } } } }`;
    const policy = {
      groupId: group.id,
      allowedComponents: ['sink:file'],
      readPathPrefixes: [],
      writePathPrefixes: [],
    };
    const asEditor = await gql(server.baseUrl, SET, { input: policy }, editor);
    expect(asEditor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await gqlData(server.baseUrl, SET, { input: policy }, admin);
    expect(set.setGroupComponentPolicy.group.componentPolicy.allowedComponents).toEqual(['sink:file']);
    const accepted = await createOutput(input, editor);
    expect(accepted.__typename).toBe('ApplyPipelinePayload');
    const escaped = await createOutput(
      {
        ...input,
        name: 'bad',
        options: { path: '/etc/flotilla-agent/agent.env', encoding: { codec: 'json' } },
      },
      editor,
    );
    expect(escaped).toMatchObject({
      code: 'path_not_allowed',
      fields: [{ path: 'bad.options.path' }],
    });
  });
});
