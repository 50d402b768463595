/** `restart_vector` (agent/actions/restart-vector.ts) over the real supervisor and the fake vector. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRestartVectorHandler } from '../../agent/actions/restart-vector.ts';
import type { ActionContext } from '../../agent/actions/runner.ts';
import { waitFor } from './helpers.ts';
import { pipeline, vectorHarness } from './vector-harness.ts';

type Harness = Awaited<ReturnType<typeof vectorHarness>>;
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

const action = { id: 'a1', type: 'restart_vector', payload: {} };
const ctx: ActionContext = { saveDetail: async () => undefined, heartbeatNow: async () => true };

describe('restart_vector', () => {
  it('restarts a running vector on the config in place', async () => {
    const h = await vectorHarness({ reloadCheckMs: 300 });
    harnesses.push(h);
    await h.applier.apply(1, pipeline('one'));
    const before = await waitFor('vector to run', () => h.vectorState());
    const handler = createRestartVectorHandler(h.supervisor, 300);
    expect(await handler.run(action, ctx)).toEqual({ status: 'done', result: { restarted: true } });
    const after = await waitFor('a new vector', async () => {
      const s = await h.vectorState();
      return s && s.pid !== before.pid ? s : undefined;
    });
    expect(after.configSha256).toBe(before.configSha256);
  });

  it('fails when vector is not running, and after an agent restart mid-action', async () => {
    const h = await vectorHarness();
    harnesses.push(h);
    const handler = createRestartVectorHandler(h.supervisor, 300);
    expect(await handler.run(action, ctx)).toMatchObject({
      status: 'failed',
      result: { error: expect.stringContaining('not running') },
    });
    expect(handler.resume({ ...action, receivedAt: new Date().toISOString(), detail: {} })).toMatchObject({
      status: 'failed',
    });
  });
});
