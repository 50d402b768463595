/**
 * The newer actions end to end: the agent (bundle and single executable, agent-fixture.ts), the
 * stand-in Vector and the real server. validate_config runs `vector validate` on a draft without
 * switching the running config (valid and invalid drafts), collect_diagnostics uploads a bundle
 * without tokens, and an action type the agent does not know is reported failed with
 * `unsupported action type`.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { updateDraft } from '../../api/fleet/pipeline/draft.ts';
import { validateDraft } from '../../api/fleet/validate-sample.ts';
import { DEMO_PIPELINE } from '../helpers/factories.ts';
import { agentSuite, runningAgent } from './e2e-suite.ts';
import { AGENT_KINDS } from './agent-fixture.ts';
import { waitFor } from './helpers.ts';

describe.each(AGENT_KINDS)('%s', (kind) => {
  const suite = agentSuite(kind);

  function finalAction(actionId: string) {
    return waitFor(
      'the action to finish',
      async () => {
        const action = await suite.server.ctx.db.action.findUniqueOrThrow({ where: { id: actionId } });
        return action.status === 'done' || action.status === 'failed' ? action : undefined;
      },
      30_000,
      100,
    );
  }

  /** The demo pipeline with its source's options replaced (and an optional remap program). */
  function draftWith(remap?: string) {
    const [source, sink] = DEMO_PIPELINE.components;
    if (!remap) return { components: [{ ...source, options: { format: 'syslog' } }, sink] };
    return {
      components: [
        source,
        {
          ...source,
          id: 'fix',
          kind: 'transform' as const,
          type: 'remap',
          options: { source: remap },
          inputs: ['demo'],
        },
        { ...sink, inputs: ['fix'] },
      ],
    };
  }

  describe('new actions end to end', { timeout: 90_000 }, () => {
    it('validates a draft on the agent without switching its config, valid and invalid', async () => {
      const { host, group, agentId, vector } = await runningAgent(suite);
      const running = await fs.readFile(host.path('state', 'vector.yaml'), 'utf8');

      await updateDraft(suite.server.ctx, CLI_ACTOR, {
        groupId: group.id,
        revision: 0,
        document: draftWith(),
      });
      const ok = await validateDraft(suite.server.ctx, CLI_ACTOR, { groupId: group.id, sampleSize: 3 });
      expect(ok.actions.map((a) => a.agentId)).toEqual([agentId]);
      const good = await finalAction(ok.actions[0].id);
      expect(good.status).toBe('done');
      expect(good.result).toMatchObject({
        valid: true,
        exitCode: 0,
        output: expect.stringContaining('Validated'),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });

      await updateDraft(suite.server.ctx, CLI_ACTOR, {
        groupId: group.id,
        revision: 1,
        document: draftWith('.message = parse_json!(\n'),
      });
      const bad = await validateDraft(suite.server.ctx, CLI_ACTOR, { groupId: group.id });
      const invalid = await finalAction(bad.actions[0].id);
      expect(invalid.status).toBe('done');
      expect(invalid.result).toMatchObject({ valid: false, exitCode: 78 });
      expect(String((invalid.result as { output: string }).output).length).toBeGreaterThan(0);

      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toBe(running);
      expect((await host.runningVector()).pid).toBe(vector.pid);
      await expect(fs.access(host.path('state', 'vector.validate.yaml'))).rejects.toThrow();
    });

    it('uploads a diagnostics bundle without tokens, and fails an action type it does not know', async () => {
      const { host, agentId } = await runningAgent(suite);
      const { actions } = await createActions(suite.server.ctx, CLI_ACTOR, {
        agentIds: [agentId],
        type: 'collect_diagnostics',
        payload: {},
      });
      const done = await finalAction(actions[0].id);
      expect(done.status).toBe('done');
      const result = done.result as { diagnosticsId: string; sizeBytes: number };
      const row = await suite.server.ctx.db.agentDiagnostics.findUniqueOrThrow({
        where: { id: result.diagnosticsId },
      });
      expect(row.actionId).toBe(actions[0].id);
      const stored = JSON.parse(Buffer.from(row.content).toString()) as Record<string, unknown>;
      expect(stored).toMatchObject({
        agentVersion: '1.0.0',
        settings: expect.objectContaining({ stateDir: host.path('state') }),
        state: expect.objectContaining({ seenActionIds: expect.arrayContaining([actions[0].id]) }),
        host: expect.objectContaining({ platform: 'linux' }),
        runningConfig: expect.stringContaining('demo_logs'),
        agentLog: expect.stringContaining('action received'),
      });
      const token = (await fs.readFile(host.path('etc', 'agent-token'), 'utf8')).trim();
      expect(Buffer.from(row.content).toString()).not.toContain(token);

      const unknown = await suite.server.ctx.db.action.create({
        data: { agentId, type: 'reboot_host', payload: {}, deadline: new Date(Date.now() + 600_000) },
      });
      suite.server.ctx.events.publish('actionUpdated', {
        actionId: unknown.id,
        agentId,
        bulkId: null,
        status: 'pending',
      });
      const failed = await finalAction(unknown.id);
      expect(failed.status).toBe('failed');
      expect(failed.result).toEqual({ error: 'unsupported action type "reboot_host"' });
    });
  });
});
