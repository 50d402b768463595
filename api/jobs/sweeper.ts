/**
 * The periodic sweep: re-reads the fleet settings (a missed settingsChanged heals here), marks
 * agents offline, expires overdue actions, parks the pending actions of offline agents as waiting
 * (and resumes those of agents back online), and re-reads which agents have pending actions and
 * every config pin (so a lost bus message heals). Every step is a single conditional statement, so replicas may sweep at the
 * same time without double or lost transitions.
 */
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import type { AgentDirectory } from '../fleet/agent-directory.ts';
import { sweepOffline } from '../fleet/liveness.ts';
import { expireActions } from '../fleet/action-states.ts';
import { sweepWaitingActions } from '../fleet/action-delivery.ts';

export interface Job {
  start(): void;
  stop(): Promise<void>;
  /** Run one round now; resolves when it is done. Errors are logged, not thrown. */
  runOnce(): Promise<void>;
}

/**
 * THE way a periodic job runs: `round` every `intervalMs` after start(), one round at a time
 * (runOnce() queues behind a running one); stop() waits for the round in progress. `round` logs
 * its own failures and never rejects. createLeasedJob (lease.ts) adds "on one replica only".
 * The first round comes between one and two intervals after start() (never sooner than one, as
 * before), at a random point, so replicas started together do not run their rounds in lockstep.
 */
export function createPeriodicJob(intervalMs: number, round: () => Promise<void>): Job {
  let phase: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const runOnce = () => {
    running = running.then(round);
    return running;
  };
  return {
    start() {
      phase = setTimeout(
        () => {
          void runOnce();
          timer = setInterval(() => void runOnce(), intervalMs);
          timer.unref();
        },
        intervalMs * (1 + Math.random()),
      );
      phase.unref();
    },
    async stop() {
      clearTimeout(phase);
      clearInterval(timer);
      await running;
    },
    runOnce,
  };
}

/** Create the sweep job, run every `intervalMs` after start(). */
export function createSweeper(
  ctx: FleetContext,
  directory: AgentDirectory,
  intervalMs: number,
  log: Logger,
): Job {
  return createPeriodicJob(intervalMs, async () => {
    try {
      await ctx.tuning.reload();
      const offline = await sweepOffline(ctx);
      const expired = await expireActions(ctx);
      const { parked, resumed } = await sweepWaitingActions(ctx);
      await directory.reloadPendingActions();
      await directory.reloadPins();
      if (offline || expired || parked || resumed) log.info({ offline, expired, parked, resumed }, 'sweep');
    } catch (error) {
      log.error({ err: error }, 'sweep failed');
    }
  });
}
