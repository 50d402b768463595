/**
 * Component policy (api/fleet/policy.ts): guarded types need an admin's consent per group, path
 * options stay out of the agent's directories and inside the group's prefixes, and the policy
 * itself changes only by an admin, audited, and never under a running component.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { setGroupComponentPolicy } from '../../api/fleet/policy.ts';
import { pathProblem, prefixProblem } from '../../api/fleet/policy-paths.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, publishComponent } from '../helpers/factories.ts';
import { publishedDocument } from '../../api/fleet/publish.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const EDITOR: Actor = { type: 'user', id: null, label: 'editor@example.com', role: 'editor' };

async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof FleetError)) throw new Error(`expected a FleetError, got ${String(error)}`);
  return error;
}

type Part = { groupId: string; name: string; type: string; options: Record<string, unknown> };
/** Publish a source (`name` becomes its id) into the group's pipeline, as `actor`. */
const createInput = (ctx: TestServer['ctx'], actor: Actor, { groupId, name, ...rest }: Part) =>
  publishComponent(ctx, actor, groupId, { id: name, kind: 'source', ...rest });
/** Publish a sink reading `demo` into the group's pipeline, as `actor`. */
const createOutput = (ctx: TestServer['ctx'], actor: Actor, { groupId, name, ...rest }: Part) =>
  publishComponent(ctx, actor, groupId, { id: name, kind: 'sink', ...rest });

function policy(groupId: string, overrides: Record<string, unknown> = {}) {
  return { groupId, allowedComponents: [], readPathPrefixes: [], writePathPrefixes: [], ...overrides };
}

describe('guarded component types', () => {
  it('refuses an exec source until an admin enables exec for the group, then accepts it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const exec = {
      groupId: group.id,
      name: 'cmd',
      type: 'exec',
      options: { command: ['sh', '-c', 'id'], mode: 'scheduled' },
    };
    const refused = await failure(createInput(server.ctx, EDITOR, exec));
    expect(refused.code).toBe('component_not_allowed');
    expect(refused.issues).toEqual([{ path: 'type', message: expect.stringContaining('exec') }]);
    const published = await publishedDocument(server.ctx.db, group.id);
    expect(published.components.some((c) => c.type === 'exec')).toBe(false);

    await setGroupComponentPolicy(
      server.ctx,
      CLI_ACTOR,
      policy(group.id, { allowedComponents: ['source:exec'] }),
    );
    const created = await createInput(server.ctx, EDITOR, exec);
    expect(created.type).toBe('exec');
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'group.policy', targetId: group.id },
    });
    expect(audit.after).toMatchObject({ allowedComponents: ['source:exec'] });
  });

  it('keeps the consent per group: another group still refuses exec', async () => {
    const allowed = await createGroupWithPipeline(server.ctx);
    const other = await createGroupWithPipeline(server.ctx);
    await setGroupComponentPolicy(
      server.ctx,
      CLI_ACTOR,
      policy(allowed.id, { allowedComponents: ['source:exec'] }),
    );
    const error = await failure(
      createInput(server.ctx, EDITOR, {
        groupId: other.id,
        name: 'cmd',
        type: 'exec',
        options: { command: ['id'], mode: 'scheduled' },
      }),
    );
    expect(error.code).toBe('component_not_allowed');
  });

  it('refuses a file sink writing the agent settings even once file sinks are enabled', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const sink = (path: string) => ({
      groupId: group.id,
      name: `f${Math.abs(path.length)}`,
      type: 'file',
      options: { path, encoding: { codec: 'json' } },
    });
    expect((await failure(createOutput(server.ctx, EDITOR, sink('/var/log/x.log')))).code).toBe(
      'component_not_allowed',
    );
    await setGroupComponentPolicy(
      server.ctx,
      CLI_ACTOR,
      policy(group.id, { allowedComponents: ['sink:file'] }),
    );
    for (const path of [
      '/etc/flotilla-agent/agent.env',
      '/etc/cron.d/x',
      '/var/log/../../etc/passwd',
      'out.log',
    ]) {
      const error = await failure(createOutput(server.ctx, EDITOR, sink(path)));
      expect(error.code, path).toBe('path_not_allowed');
      expect(error.issues[0].path).toBe('options.path');
    }
    const templated = await failure(createOutput(server.ctx, EDITOR, sink('/var/log/out/{{ file }}.log')));
    expect(templated.issues[0].message).toContain('templates');
    const ok = await createOutput(server.ctx, EDITOR, sink('/var/log/export/%Y-%m-%d.log'));
    expect(ok.type).toBe('file');
  });

  it('holds write paths to the group’s prefixes once an admin sets them', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await setGroupComponentPolicy(
      server.ctx,
      CLI_ACTOR,
      policy(group.id, { allowedComponents: ['sink:file'], writePathPrefixes: ['/srv/export/'] }),
    );
    const sink = (name: string, path: string) => ({
      groupId: group.id,
      name,
      type: 'file',
      options: { path, encoding: { codec: 'json' } },
    });
    const error = await failure(createOutput(server.ctx, EDITOR, sink('a', '/var/log/x.log')));
    expect(error.code).toBe('path_not_allowed');
    expect(error.message).toContain('/srv/export');
    expect((await createOutput(server.ctx, EDITOR, sink('b', '/srv/export/x.log'))).id).toBe('b');
  });
});

describe('read paths', () => {
  it('refuses file inputs that read the agent token, or globs that could reach it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const file = (name: string, include: string[]) => ({
      groupId: group.id,
      name,
      type: 'file',
      options: { include },
    });
    const token = await failure(
      createInput(server.ctx, EDITOR, file('t', ['/var/log/a.log', '/etc/flotilla-agent/agent-token'])),
    );
    expect(token.code).toBe('path_not_allowed');
    expect(token.issues).toEqual([
      { path: 'options.include[1]', message: expect.stringContaining('/etc/flotilla-agent') },
    ]);
    const glob = await failure(createInput(server.ctx, EDITOR, file('g', ['/var/**/*.log'])));
    expect(glob.issues[0].message).toContain('/var/lib/flotilla-agent');
    const created = await createInput(server.ctx, EDITOR, file('ok', ['/var/log/**/*.log']));
    const update = await failure(
      publishComponent(server.ctx, EDITOR, group.id, {
        ...created,
        options: { include: ['/proc/1/environ'] },
      }),
    );
    expect(update.code).toBe('path_not_allowed');
  });

  it('treats journald’s journalctl_path as running a program', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(
      createInput(server.ctx, EDITOR, {
        groupId: group.id,
        name: 'j',
        type: 'journald',
        options: { journalctl_path: '/tmp/evil' },
      }),
    );
    expect(error.code).toBe('component_not_allowed');
    expect(error.issues[0].path).toBe('options.journalctl_path');
  });
});

describe('changing the policy', () => {
  it('is for admins only', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(
      setGroupComponentPolicy(server.ctx, EDITOR, policy(group.id, { allowedComponents: ['source:exec'] })),
    );
    expect(error.code).toBe('forbidden');
  });

  it('is refused while a component of the group would break it, naming the component', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await setGroupComponentPolicy(
      server.ctx,
      CLI_ACTOR,
      policy(group.id, { allowedComponents: ['source:exec'] }),
    );
    await createInput(server.ctx, EDITOR, {
      groupId: group.id,
      name: 'runner',
      type: 'exec',
      options: { command: ['id'], mode: 'scheduled' },
    });
    const error = await failure(setGroupComponentPolicy(server.ctx, CLI_ACTOR, policy(group.id)));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('source "runner"');
    const row = await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
    expect(row.allowedComponents).toEqual(['source:exec']);
  });

  it('rejects prefixes with wildcards, relative paths or inside the agent’s directories', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(
      setGroupComponentPolicy(
        server.ctx,
        CLI_ACTOR,
        policy(group.id, { readPathPrefixes: ['var/log', '/var/*', '/etc/flotilla-agent/x'] }),
      ),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.issues.map((i) => i.path)).toEqual([
      'readPathPrefixes.0',
      'readPathPrefixes.1',
      'readPathPrefixes.2',
    ]);
  });
});

describe('path rules', () => {
  it('compares whole segments and refuses traversal', () => {
    expect(pathProblem('/etcetera/x.log', 'write', [])).toBeNull();
    expect(pathProblem('/etc/x', 'write', [])).toContain('/etc');
    expect(pathProblem('/etc/x', 'write', ['/etc'])).toBeNull();
    expect(pathProblem('/etc/flotilla-agent/agent.env', 'write', ['/etc'])).toContain('/etc/flotilla-agent');
    expect(pathProblem('/var/log/./x', 'read', [])).toContain('".."');
    expect(pathProblem('//etc//flotilla-agent/agent-token', 'read', [])).toContain('/etc/flotilla-agent');
    expect(pathProblem('/*', 'read', [])).toContain('reach into');
    expect(prefixProblem('/')).toBeNull();
  });
});
