/**
 * The publish dialog's plan form: a saved plan becomes editable fields and comes back as the same
 * RolloutPlanInput (gate shares as percents, the last stage always 100 %, null gates off); an
 * all-at-once plan starts the staged form with suggested stages; the failing-agents link.
 */
import { describe, expect, it } from 'vitest';
import { ALL_AT_ONCE_INPUT, isAllAtOnce, planDraft, planInput } from '../../web/src/lib/rollout-plan.ts';
import { sharePercent, stageTarget } from '../../web/src/lib/rollout.ts';
import { failingAgentsLink, firstFailedStage, rolloutFailedLink } from '../../web/src/lib/failures.ts';

const GATES = {
  applyFailedRatio: 0.05,
  vectorStoppedRatio: 0.05,
  silentRatio: 0.1,
  componentErrorRate: null,
  throughputDropRatio: 0.5,
  silentAfterHeartbeats: 3,
};

describe('rollout plan form', () => {
  it('round-trips a staged plan through the form', () => {
    const plan = {
      stages: [
        { count: 2 },
        { selector: { key: 'canary', value: 'true' } },
        { percent: 25.5 },
        { percent: 100 },
      ],
      soakSeconds: 600,
      maxInFlight: { count: 5 },
      gates: GATES,
      revertOnFailure: false,
      newAgents: 'new' as const,
    };
    const draft = planDraft(plan);
    expect(draft.stages.map((s) => s.kind)).toEqual(['count', 'selector', 'percent']);
    expect(draft.gates.applyFailedRatio).toBe(5);
    expect(draft.gates.componentErrorRate).toBeNull();
    expect(planInput(draft)).toEqual({
      stages: [
        { count: 2 },
        { selector: { key: 'canary', value: 'true' } },
        { percent: 25.5 },
        { percent: 100 },
      ],
      soakSeconds: 600,
      maxInFlight: { count: 5 },
      gates: GATES,
      revertOnFailure: false,
      newAgents: 'new',
    });
  });

  it('starts the staged form from all at once with suggested stages and a soak', () => {
    const allAtOnce = {
      stages: [{ percent: 100 }],
      soakSeconds: 0,
      maxInFlight: { percent: 100 },
      gates: GATES,
      revertOnFailure: true,
      newAgents: 'previous' as const,
    };
    expect(isAllAtOnce(allAtOnce)).toBe(true);
    const input = planInput(planDraft(allAtOnce));
    expect(input.stages).toEqual([{ count: 1 }, { percent: 50 }, { percent: 100 }]);
    expect(input.soakSeconds).toBe(300);
    expect(ALL_AT_ONCE_INPUT).toEqual({});
  });

  it('puts stages, shares and the failing agents into words and links', () => {
    expect(stageTarget({ count: 1 })).toBe('1 agent');
    expect(stageTarget({ percent: 50 })).toBe('50 %');
    expect(stageTarget({ selector: { key: 'canary', value: 'true' } })).toBe('canary=true');
    expect(sharePercent(0.123)).toBe('12.3 %');
    expect(sharePercent(null)).toBe('—');
    expect(failingAgentsLink('web').query.q).toBe('group:web configStatus:failed');
    expect(failingAgentsLink().query.q).toBe('configStatus:failed');
    expect(rolloutFailedLink('r1', 1)).toEqual({
      path: '/rollouts/r1',
      query: { stage: '2', agents: 'failed' },
    });
    expect(firstFailedStage([{ failed: 0 }, { failed: 2 }])).toBe(1);
    expect(firstFailedStage([{ failed: 0 }])).toBe(0);
  });
});
