/**
 * How a virtual agent reads the server's refusals of its action results (agent/sim/actions.ts): a
 * result refused as already stored with its own status counts as a duplicate (the server applied
 * it once; a lost answer or a proxy sent the heartbeat twice), any other refusal as rejected.
 */
import { describe, expect, it } from 'vitest';
import { AgentActions } from '../../agent/sim/actions.ts';
import type { AgentEnv } from '../../agent/sim/env.ts';
import { alreadyEndedReason, type ActionResult } from '../../api/protocol/actions.ts';
import type { AgentClient } from '../../agent/transport/client.ts';

function actionsCounting(results: string[]): AgentActions {
  const events = { result: (event: string) => results.push(event) } as unknown as AgentEnv['events'];
  const env = { events, stop: new AbortController().signal } as unknown as AgentEnv;
  const host = {
    currentVersion: () => '1',
    upgradedTo: () => undefined,
    failsUpgradeTo: () => false,
    nudge: () => undefined,
  };
  return new AgentActions({} as AgentClient, env, host);
}

const sent = (actionId: string, status: ActionResult['status'], attempts = 0) => ({
  result: { actionId, status } as ActionResult,
  attempts,
});

describe('a virtual agent acknowledging action results', () => {
  it('counts stored-already as a duplicate, other refusals as rejected, the rest as acknowledged', () => {
    const counted: string[] = [];
    const actions = actionsCounting(counted);
    actions.acknowledge(
      [sent('a', 'done'), sent('b', 'done'), sent('c', 'failed', 1), sent('d', 'done')],
      [
        { actionId: 'a', reason: alreadyEndedReason('done') },
        { actionId: 'b', reason: alreadyEndedReason('cancelled') },
        { actionId: 'c', reason: 'unknown action' },
      ],
    );
    expect(counted).toEqual(['duplicated', 'rejected', 'duplicated', 'acknowledged']);
    expect(actions.waiting).toBe(0);
  });
});
