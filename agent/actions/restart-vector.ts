/**
 * `restart_vector`: stop Vector (SIGTERM, then SIGKILL after the grace period) and start it again on
 * the config in place, then check it is still alive `reloadCheckMs` later. Fails when Vector is not
 * running (nothing applied, or the empty config stopped it: there is nothing to restart) or when it
 * dies right after the restart. An agent that restarts during the action reports it failed.
 */
import type { VectorSupervisor } from '../supervisor/vector.ts';
import type { ActionHandler } from './runner.ts';

/** The handler for `restart_vector`. */
export function createRestartVectorHandler(
  supervisor: Pick<VectorSupervisor, 'running' | 'start' | 'stop' | 'generationId' | 'waitForExit'>,
  reloadCheckMs: number,
): ActionHandler {
  return {
    async run() {
      if (!supervisor.running)
        return { status: 'failed', result: { error: 'vector is not running: there is nothing to restart' } };
      await supervisor.stop();
      await supervisor.start();
      const exit = await supervisor.waitForExit(supervisor.generationId, reloadCheckMs);
      if (exit) {
        const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
        return { status: 'failed', result: { error: `vector exited (${how}) right after the restart` } };
      }
      return { status: 'done', result: { restarted: true } };
    },
    resume: () => ({
      status: 'failed',
      result: { error: 'the agent restarted before the restart of vector finished; see vectorRunning' },
    }),
  };
}
