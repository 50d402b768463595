/**
 * Agent ↔ real server ↔ fake vector, through the config and heartbeat routes of protocol.md:
 * enrol, apply, reload on change, invalid configs, `{}`, Vector crashes. With the bundle and with
 * the single executable (agent-fixture.ts).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { moveAgents } from '../../api/fleet/agents.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { agentSuite, runningAgent } from './e2e-suite.ts';
import { AGENT_KINDS, type AgentHost } from './agent-fixture.ts';
import { agentCommand } from './agent-executable.ts';
import { agentRowWhere, changeGroup, groupWithToken } from './e2e-fleet.ts';
import { isAlive, waitFor } from './helpers.ts';

describe.each(AGENT_KINDS)('%s', (kind) => {
  const suite = agentSuite(kind);

  /** Enrols a new host into a new group and starts its agent; resolves once Vector runs the config. */

  describe('agent config delivery', { timeout: 60_000 }, () => {
    it('enrols, validates and applies the group config, runs vector on it and heartbeats the applied version', async () => {
      const { host, agentId, version, vector } = await runningAgent(suite);
      expect(vector.configPath).toBe(host.path('state', 'vector.yaml'));
      const row = await agentRowWhere(suite.server, agentId, 'vector running', (r) => r.vectorRunning);
      expect(row).toMatchObject({ agentVersion: '1.0.0', vectorVersion: '0.58.0', configErrorVersion: null });
      expect((await fs.stat(host.path('etc', 'agent-token'))).mode & 0o777).toBe(0o600);
      const onDisk = await fs.readFile(host.path('state', 'vector.yaml'), 'utf8');
      expect(onDisk).toContain(`data_dir: "${host.path('state', 'vector')}"`);
      expect(onDisk).toContain('type: demo_logs');
      const status = JSON.parse(await runStatus(host));
      expect(status).toMatchObject({
        enrolled: true,
        agentId,
        appliedConfigVersion: version,
        vectorRunning: true,
      });
    });

    it('reloads vector (same process) when the group changes', async () => {
      const { host, group, agentId, vector } = await runningAgent(suite);
      const next = await changeGroup(suite.server, group.id, { source: 'changed' });
      await agentRowWhere(
        suite.server,
        agentId,
        'the new version applied',
        (r) => r.appliedConfigVersion === next,
      );
      const after = await waitFor('the reload', async () => {
        const s = await host.vectorState();
        return s && s.reloads === 1 ? s : undefined;
      });
      expect(after.pid).toBe(vector.pid);
      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toContain('"changed"');
    });

    it('takes the new group’s config as a reload when the agent is moved to another group', async () => {
      const { host, group, agentId, vector } = await runningAgent(suite);
      await changeGroup(suite.server, group.id, { source: 'first-a' });
      const high = await changeGroup(suite.server, group.id, { source: 'first-b' });
      await agentRowWhere(
        suite.server,
        agentId,
        'a high version applied',
        (r) => r.appliedConfigVersion === high,
      );
      const reloads = (await host.vectorState())?.reloads ?? 0;
      // The other group's version is lower than the one the agent holds: the server answers 200 anyway.
      const { group: other } = await groupWithToken(suite.server);
      const otherVersion = await changeGroup(suite.server, other.id, { source: 'other-group' });
      expect(otherVersion).toBeLessThan(high);
      await moveAgents(suite.server.ctx, CLI_ACTOR, { agentIds: [agentId], groupId: other.id });
      await agentRowWhere(
        suite.server,
        agentId,
        'the other group’s config applied',
        (r) => r.appliedConfigVersion === otherVersion,
      );
      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toContain('"other-group"');
      const state = await waitFor('one more reload', async () => {
        const s = await host.vectorState();
        return s?.reloads === reloads + 1 ? s : undefined;
      });
      expect(state.pid).toBe(vector.pid);
    });

    it('keeps the old config running for an invalid one and reports it as configError', async () => {
      const { host, group, agentId, version, vector } = await runningAgent(suite);
      const good = await fs.readFile(host.path('state', 'vector.yaml'), 'utf8');
      const bad = await changeGroup(suite.server, group.id, { source: 'FAKE_VECTOR_INVALID' });
      const row = await agentRowWhere(
        suite.server,
        agentId,
        'the configError',
        (r) => r.configErrorVersion === bad,
      );
      expect(row.appliedConfigVersion).toBe(version);
      expect(row.configErrorMessage).toContain('vector validate exited with code 78');
      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toBe(good);
      expect(await host.vectorState()).toMatchObject({ pid: vector.pid, reloads: 0 });
      const fixed = await changeGroup(suite.server, group.id, { source: 'fixed' });
      await agentRowWhere(
        suite.server,
        agentId,
        'the error cleared by a good version',
        (r) => r.appliedConfigVersion === fixed,
      );
      expect(
        (await suite.server.ctx.db.agent.findUniqueOrThrow({ where: { id: agentId } })).configErrorVersion,
      ).toBeNull();
    });

    it('stops vector for the empty config {} and starts it again when inputs come back', async () => {
      const { host, group, agentId, vector } = await runningAgent(suite);
      const empty = await changeGroup(suite.server, group.id, { enabled: false });
      await agentRowWhere(
        suite.server,
        agentId,
        'vector stopped',
        (r) => r.appliedConfigVersion === empty && !r.vectorRunning,
      );
      expect(isAlive(vector.pid)).toBe(false);
      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toBe('{}');
      const back = await changeGroup(suite.server, group.id, { enabled: true });
      await agentRowWhere(
        suite.server,
        agentId,
        'vector back',
        (r) => r.appliedConfigVersion === back && r.vectorRunning,
      );
      await host.runningVector(vector.pid);
    });

    it('restarts vector after it crashes and reports it running again', async () => {
      const { host, agentId, vector } = await runningAgent(suite);
      await waitFor('the reload check to end', () => host.reloadCheckOver());
      await fs.writeFile(host.path('fake', 'crash'), '');
      const restarted = await host.runningVector(vector.pid);
      expect(restarted.configPath).toBe(vector.configPath);
      await waitFor('the crash in the agent log', () => host.logged('vector exited unexpectedly'));
      await agentRowWhere(suite.server, agentId, 'vector running after the restart', (r) => r.vectorRunning);
    });
  });

  async function runStatus(host: AgentHost): Promise<string> {
    const [command, ...args] = agentCommand(suite.agentFile);
    const { stdout } = await promisify(execFile)(command, [...args, 'status', '--json', ...host.flags()]);
    return stdout;
  }
});
