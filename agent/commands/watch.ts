/**
 * `flotilla-agent upgrade-watch` (internal): started by an upgrading agent from its own bundle;
 * see actions/upgrade.ts. Exit 0 when the upgrade was confirmed or rolled back, 1 on failure.
 */
import * as z from 'zod';
import { watchUpgrade } from '../actions/upgrade-watch.ts';
import { WATCH_ENV } from '../actions/upgrade.ts';
import { errorMessage } from '../log.ts';
import type { Runtime } from './runtime.ts';

const WatchJob = z.object({ actionId: z.string().min(1), agentPid: z.number().int().positive() });

/** Runs the watcher for the job in FLOTILLA_AGENT_UPGRADE_WATCH. Resolves the exit code. */
export async function watchCommand(rt: Runtime, agentArgs: string[]): Promise<number> {
  let job: z.infer<typeof WatchJob>;
  try {
    job = WatchJob.parse(JSON.parse(rt.env[WATCH_ENV] ?? ''));
  } catch {
    process.stderr.write(
      `upgrade-watch is started by the agent itself (${WATCH_ENV} is missing or invalid)\n`,
    );
    return 2;
  }
  const env = { ...rt.env };
  delete env[WATCH_ENV];
  const log = rt.log.child({ part: 'upgrade-watch', actionId: job.actionId });
  try {
    const result = await watchUpgrade({
      store: rt.store,
      fs: rt.fs,
      spawn: rt.spawn,
      clock: rt.clock,
      log,
      processes: rt.processes,
      actionId: job.actionId,
      agentPid: job.agentPid,
      installDir: rt.settings.installDir,
      agentPidFile: rt.paths.agentPidFile,
      agentLogFile: `${rt.settings.logDir}/agent.log`,
      serviceManager: rt.settings.serviceManager,
      nodePath: process.execPath,
      agentArgs,
      env,
      upgradeTimeoutMs: rt.settings.upgradeTimeoutMs,
      stopGraceMs: rt.settings.vectorStopGraceMs,
    });
    log.info('upgrade watch finished', { result });
    return 0;
  } catch (error) {
    log.error('upgrade watch failed', { error: errorMessage(error) });
    return 1;
  }
}
