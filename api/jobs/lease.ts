/**
 * THE way periodic work runs once across replicas: a job whose round runs only while this replica
 * holds the job's lease (fleet/leases.ts). Every round renews the lease for three intervals, so a
 * replica that dies hands the work over within three intervals; stop() releases it at once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import { acquireLease, releaseLease } from '../fleet/leases.ts';
import { createPeriodicJob, type Job } from './sweeper.ts';

export interface LeasedJob extends Job {
  /** This replica's holder id in `job_leases`. */
  readonly holder: string;
  /** Whether the last round held the lease (and so ran the work). */
  holding(): boolean;
}

/**
 * Create a job named `name` that runs `work` every `intervalMs` after start(), only while it holds
 * the lease. With `due`, a round in which `due()` resolves false neither takes the lease nor works
 * (a job that is mostly idle then writes nothing). runOnce() runs one round now (tests call it
 * with an injected clock). A failing round is logged, never thrown; the lease stays with its
 * holder until it expires.
 */
export function createLeasedJob(
  ctx: FleetContext,
  name: string,
  intervalMs: number,
  log: Logger,
  work: () => Promise<void>,
  due?: () => Promise<boolean>,
): LeasedJob {
  const holder = randomUUID();
  let held = false;
  let stopped = false;
  const periodic = createPeriodicJob(intervalMs, async () => {
    if (stopped) return;
    try {
      if (due && !(await due())) return;
      held = await acquireLease(ctx, name, holder, intervalMs * 3);
      if (held) await work();
    } catch (error) {
      log.error({ err: error, job: name }, 'job round failed');
    }
  });
  return {
    holder,
    holding: () => held,
    start() {
      stopped = false;
      periodic.start();
    },
    async stop() {
      stopped = true;
      await periodic.stop();
      if (held) await releaseLease(ctx, name, holder).catch(() => undefined);
      held = false;
    },
    runOnce: periodic.runOnce,
  };
}
