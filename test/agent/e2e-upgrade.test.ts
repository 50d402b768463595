/**
 * `upgrade_agent` end to end: releases registered on the real server, bundles built with
 * different versions, the install layout (versions/<v> + current), no service manager: the
 * upgrade watcher starts the new version and rolls back a broken one. With the single executable
 * (agent-fixture.ts), which is upgraded by its package, the agent refuses the action (failed with
 * its reason) and runs on untouched; every rollback here follows a self-upgrade, so none runs there.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActions } from '../../api/fleet/actions.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { EXECUTABLE_UPGRADE_REASON } from '../../agent/actions/upgrade.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { AGENT_KINDS, AgentHost, agentBundle, agentEntry } from './agent-fixture.ts';
import { agentIdOf, agentRowWhere, configVersion, groupWithToken } from './e2e-fleet.ts';
import { isAlive, readIfExists, waitFor } from './helpers.ts';

const RESTART_ALWAYS = [path.join(import.meta.dirname, 'fixtures/restart-always.sh')];

describe.each(AGENT_KINDS)('%s', (kind) => {
  /** The version installed first; the executable's is the one every end-to-end file uses (one build). */
  const A = kind === 'executable' ? '1.0.0' : '9.0.1';
  const B = '9.0.2';
  let server: TestServer;
  let entryA: string;
  const hosts: AgentHost[] = [];

  beforeAll(async () => {
    let bundleB: string;
    [server, entryA, bundleB] = await Promise.all([startTestServer(), agentEntry(kind, A), agentBundle(B)]);
    await registerRelease(server.ctx, { version: B, bundle: await fs.readFile(bundleB) });
  });
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.dispose()));
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Registers a hand-written "release" (a tiny script) under `version`. */
  async function registerScript(version: string, body: string): Promise<void> {
    const script = `#!/usr/bin/env node\nif (process.argv[2] === 'version') { console.log('${version}'); process.exit(0); }\n${body}\n`;
    await registerRelease(server.ctx, { version, bundle: Buffer.from(script) });
  }

  /** Agent A, installed under <root>/opt and started from `current`, with its config applied. */
  async function installedAgentA(extraFlags: string[] = [], launcher: string[] = []) {
    const { group, token } = await groupWithToken(server);
    const host = await AgentHost.create({ extraFlags });
    hosts.push(host);
    const entry = await host.install(A, entryA);
    await host.enrol(entry, server.baseUrl, token);
    const agentId = await agentIdOf(server, group.id);
    const first = host.start(entry, launcher);
    const version = await configVersion(server, group.id);
    await agentRowWhere(
      server,
      agentId,
      'A running its config',
      (r) => r.appliedConfigVersion === version && r.vectorRunning,
    );
    return { host, agentId, first, vector: await host.runningVector() };
  }

  async function upgrade(agentId: string, targetVersion: string) {
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agentId],
      type: 'upgrade_agent',
      payload: { targetVersion },
    });
    return actions[0].id;
  }

  function finalAction(actionId: string, timeoutMs = 30_000) {
    return waitFor(
      'the action to finish',
      async () => {
        const action = await server.ctx.db.action.findUniqueOrThrow({ where: { id: actionId } });
        return action.status === 'done' || action.status === 'failed' ? action : undefined;
      },
      timeoutMs,
      100,
    );
  }

  // Self-upgrade needs the bundle (the watcher and the new release run on node); the executable's
  // scenario is its refusal.
  if (kind === 'bundle') describeSelfUpgrade();
  else describeExecutableRefusal();

  function describeExecutableRefusal() {
    describe('the single executable and upgrade_agent', { timeout: 60_000 }, () => {
      it('refuses it under a restart-always service manager: failed with the reason, nothing switched, the same agent running on', async () => {
        const { host, agentId, vector } = await installedAgentA(
          ['--service-manager=systemd'],
          RESTART_ALWAYS,
        );
        const pid = await host.pidFile('agent.pid');
        const action = await finalAction(await upgrade(agentId, B));
        expect(action).toMatchObject({
          status: 'failed',
          result: { fromVersion: A, toVersion: B, reason: EXECUTABLE_UPGRADE_REASON },
        });
        expect(await fs.readlink(host.path('opt', 'current'))).toBe(`versions/${A}`);
        expect(await fs.readdir(host.path('opt', 'versions'))).toEqual([A]);
        const since = action.finishedAt as Date;
        await agentRowWhere(
          server,
          agentId,
          'heartbeats after the refusal',
          (r) => r.agentVersion === A && r.vectorRunning && (r.lastHeartbeatAt ?? 0) > since,
        );
        expect(await host.pidFile('agent.pid')).toBe(pid);
        expect(pid && isAlive(pid)).toBe(true);
        expect((await host.runningVector()).pid).toBe(vector.pid);
        expect(await readIfExists(host.path('log', 'upgrade.log'))).toBeUndefined();
      });
    });
  }

  function describeSelfUpgrade() {
    describe('agent self-upgrade', { timeout: 60_000 }, () => {
      it('upgrades A → B: installs B side by side, restarts into it, and B reports done {fromVersion, toVersion}', async () => {
        const { host, agentId, first, vector } = await installedAgentA();
        const firstExit = new Promise<number | null>((resolve) =>
          first.once('exit', (code) => resolve(code)),
        );
        const actionId = await upgrade(agentId, B);
        const action = await finalAction(actionId);
        expect(action).toMatchObject({ status: 'done', result: { fromVersion: A, toVersion: B } });
        expect(await firstExit).toBe(0);
        await agentRowWhere(
          server,
          agentId,
          'heartbeats from B',
          (r) => r.agentVersion === B && r.vectorRunning,
        );
        expect(await fs.readlink(host.path('opt', 'current'))).toBe(`versions/${B}`);
        expect(await fs.readdir(host.path('opt', 'versions'))).toEqual([A, B]);
        const newPid = await host.pidFile('agent.pid');
        expect(newPid && isAlive(newPid)).toBe(true);
        await host.runningVector(vector.pid);
        const state = JSON.parse((await readIfExists(host.path('state', 'state.json'))) ?? '{}');
        expect(state).toMatchObject({ inFlight: null, pendingResults: [] });
        expect(state.seenActionIds).toContain(actionId);
        await waitFor('the watcher to confirm', async () =>
          (await readIfExists(host.path('log', 'upgrade.log')))?.includes('upgrade confirmed'),
        );
      });

      it('rolls back to A when B exits at start, and A reports failed with the reason', async () => {
        await registerScript('9.0.3', "console.error('9.0.3 cannot start'); process.exit(1);");
        const { host, agentId } = await installedAgentA();
        const action = await finalAction(await upgrade(agentId, '9.0.3'));
        expect(action).toMatchObject({ status: 'failed', result: { fromVersion: A, toVersion: '9.0.3' } });
        expect(String((action.result as { reason: string }).reason)).toMatch(
          /exited \(code 1\) before its first heartbeat/,
        );
        expect(await fs.readlink(host.path('opt', 'current'))).toBe(`versions/${A}`);
        const since = action.finishedAt as Date;
        await agentRowWhere(
          server,
          agentId,
          'A heartbeating again',
          (r) => r.agentVersion === A && (r.lastHeartbeatAt ?? 0) > since,
        );
        await host.runningVector();
      });

      it('rolls back to A when B runs but never gets a heartbeat through', async () => {
        await registerScript('9.0.4', 'setInterval(() => {}, 1000);');
        const { host, agentId } = await installedAgentA(['--upgrade-timeout=2s']);
        const action = await finalAction(await upgrade(agentId, '9.0.4'));
        expect(action).toMatchObject({ status: 'failed', result: { fromVersion: A, toVersion: '9.0.4' } });
        expect(String((action.result as { reason: string }).reason)).toMatch(
          /did not get a heartbeat through within 2s/,
        );
        expect(await fs.readlink(host.path('opt', 'current'))).toBe(`versions/${A}`);
        const agentLog = (await readIfExists(path.join(host.root, 'log', 'agent.log'))) ?? '';
        expect(agentLog).toContain('resumed in-flight action');
      });

      it('under a restart-always service manager (systemd mode): A → B done, then a hanging C rolled back to B', async () => {
        await registerScript('9.0.5', 'setInterval(() => {}, 1000);');
        // 8 s: B must start and get its first heartbeat through within it on a loaded machine (3 s was
        // too short at load 11–17), and C's hang is timed by it too.
        const { host, agentId } = await installedAgentA(
          ['--service-manager=systemd', '--upgrade-timeout=8s'],
          RESTART_ALWAYS,
        );
        const done = await finalAction(await upgrade(agentId, B));
        expect(done).toMatchObject({ status: 'done', result: { fromVersion: A, toVersion: B } });
        await agentRowWhere(server, agentId, 'heartbeats from B', (r) => r.agentVersion === B);

        const failed = await finalAction(await upgrade(agentId, '9.0.5'));
        expect(failed).toMatchObject({ status: 'failed', result: { fromVersion: B, toVersion: '9.0.5' } });
        expect(String((failed.result as { reason: string }).reason)).toMatch(
          /did not get a heartbeat through within 8s/,
        );
        expect(await fs.readlink(host.path('opt', 'current'))).toBe(`versions/${B}`);
        const since = failed.finishedAt as Date;
        await agentRowWhere(
          server,
          agentId,
          'B back',
          (r) => r.agentVersion === B && (r.lastHeartbeatAt ?? 0) > since,
        );
        expect(host.process?.exitCode).toBeNull();
      });
    });
  }
});
