import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionRunner, type ActionHandler, type RunnerHooks } from '../../agent/actions/runner.ts';
import { ManualClock } from './manual-clock.ts';
import { StateStore } from '../../agent/state/store.ts';
import { memoryLogger, tempDir, waitFor } from './helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function storeIn(dir: string): Promise<StateStore> {
  const store = new StateStore(
    fs,
    {
      stateFile: path.join(dir, 'state.json'),
      identityFile: path.join(dir, 'a'),
      tokenFile: path.join(dir, 't'),
    },
    memoryLogger().log,
  );
  await store.load();
  return store;
}

const hooks = (): RunnerHooks & { restarts: number } => {
  const h = {
    restarts: 0,
    heartbeatNow: async () => true,
    nudge: () => undefined,
    restart: () => void h.restarts++,
  };
  return h;
};
const action = { id: 'act-1', type: 'test_action', payload: { n: 1 } };

describe('action runner', () => {
  it('persists the action as seen and in flight with a running result before the handler starts', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = await storeIn(dir);
    let seenOnDisk: unknown;
    const handler: ActionHandler = {
      run: async () => {
        seenOnDisk = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8'));
        return { status: 'done', result: { ok: true } };
      },
      resume: () => ({ status: 'failed', result: {} }),
    };
    const runner = new ActionRunner(store, { test_action: handler }, new ManualClock(), memoryLogger().log);
    await runner.receive([action], hooks());
    await runner.idle();
    expect(seenOnDisk).toMatchObject({
      seenActionIds: ['act-1'],
      inFlight: { id: 'act-1' },
      pendingResults: [{ actionId: 'act-1', status: 'running' }],
    });
    expect(runner.pendingResults()).toEqual([{ actionId: 'act-1', status: 'done', result: { ok: true } }]);
    expect(store.current.inFlight).toBeNull();
  });

  it('never runs an action twice, even across a restart', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let runs = 0;
    const handler: ActionHandler = {
      run: async () => ({ status: 'done', result: { run: ++runs } }),
      resume: () => ({ status: 'failed', result: {} }),
    };
    const first = new ActionRunner(
      await storeIn(dir),
      { test_action: handler },
      new ManualClock(),
      memoryLogger().log,
    );
    await first.receive([action], hooks());
    await first.idle();
    await first.receive([action], hooks());
    await first.idle();
    const second = new ActionRunner(
      await storeIn(dir),
      { test_action: handler },
      new ManualClock(),
      memoryLogger().log,
    );
    await second.receive([action], hooks());
    await second.idle();
    expect(runs).toBe(1);
  });

  it('turns an action left in flight by a killed process into its final result at start-up', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = await storeIn(dir);
    const hanging: ActionHandler = {
      run: () => new Promise(() => undefined),
      resume: (inFlight) => ({ status: 'failed', result: { reason: `interrupted ${inFlight.id}` } }),
    };
    await new ActionRunner(store, { test_action: hanging }, new ManualClock(), memoryLogger().log).receive(
      [action],
      hooks(),
    );
    const restarted = new ActionRunner(
      await storeIn(dir),
      { test_action: hanging },
      new ManualClock(),
      memoryLogger().log,
    );
    await restarted.resume();
    expect(restarted.pendingResults()).toEqual([
      { actionId: 'act-1', status: 'failed', result: { reason: 'interrupted act-1' } },
    ]);
  });

  it('keeps results until a heartbeat carried them, and reports unknown action types as failed', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = await storeIn(dir);
    const runner = new ActionRunner(store, {}, new ManualClock(), memoryLogger().log);
    await runner.receive([{ id: 'x', type: 'reboot_host', payload: {} }], hooks());
    await runner.idle();
    const sent = [...runner.pendingResults()];
    expect(sent).toEqual([
      { actionId: 'x', status: 'failed', result: { error: 'unsupported action type "reboot_host"' } },
    ]);
    await runner.acknowledge(sent, []);
    expect(runner.pendingResults()).toEqual([]);
  });

  it('leaves the action in flight and asks for a restart when the handler says so', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = await storeIn(dir);
    const h = hooks();
    const handler: ActionHandler = {
      run: async () => ({ status: 'restarting' }),
      resume: () => ({ status: 'done', result: {} }),
    };
    const runner = new ActionRunner(store, { test_action: handler }, new ManualClock(), memoryLogger().log);
    await runner.receive([action], h);
    await waitFor('the restart request', () => h.restarts === 1);
    expect(store.current.inFlight?.id).toBe('act-1');
  });
});
