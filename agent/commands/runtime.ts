/**
 * The real-world dependencies of every command, built once per process in main.ts and passed
 * down: filesystem, spawn, clock, processes, fetch, randomness, logger and the derived paths.
 */
import { spawn } from 'node:child_process';
import * as syncFs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createSystemClock, type Clock } from '../clock.ts';
import { createLogger, type Logger } from '../log.ts';
import { LogTail } from '../telemetry/log-tail.ts';
import { DIAGNOSTICS_LOG_TAIL_BYTES } from '../../api/protocol/actions.ts';
import { agentPaths, type AgentPaths } from '../paths.ts';
import type { AgentSettings } from '../settings.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { StateStore } from '../state/store.ts';
import type { SyncFs } from '../supervisor/output-log.ts';
import { createProcessTable, type ProcessTable } from '../supervisor/processes.ts';
import type { VectorCli } from '../supervisor/validate.ts';
import { createClient, type AgentClient } from '../transport/client.ts';
import { createNodeFetch } from '../transport/http.ts';
import { AGENT_VERSION } from '../version.ts';

export interface Runtime {
  settings: AgentSettings;
  paths: AgentPaths;
  env: NodeJS.ProcessEnv;
  fs: AgentFs;
  syncFs: SyncFs;
  spawn: typeof spawn;
  clock: Clock;
  processes: ProcessTable;
  random: () => number;
  log: Logger;
  /** The last lines the agent logged (for diagnostics bundles). */
  logTail: LogTail;
  client: AgentClient;
  store: StateStore;
  vectorCli: VectorCli;
}

/** Builds the runtime for `settings`. Touches nothing on disk. */
export function createRuntime(settings: AgentSettings, env: NodeJS.ProcessEnv): Runtime {
  const clock = createSystemClock();
  const paths = agentPaths(settings);
  const logTail = new LogTail(DIAGNOSTICS_LOG_TAIL_BYTES);
  const log = createLogger({
    write: (line) => {
      logTail.push(line);
      process.stdout.write(line);
    },
    level: settings.logLevel,
    now: clock.now,
  });
  return {
    settings,
    paths,
    env,
    fs: fsp,
    syncFs,
    spawn,
    clock,
    processes: createProcessTable(fsp.readFile),
    random: Math.random,
    log,
    logTail,
    client: createClient({
      fetch: createNodeFetch(),
      clock,
      timeoutMs: settings.requestTimeoutMs,
      userAgent: `flotilla-agent/${AGENT_VERSION}`,
    }),
    store: new StateStore(fsp, paths, log),
    vectorCli: { bin: settings.vectorBin, spawn, clock, env, cwd: settings.stateDir, timeoutMs: 60_000 },
  };
}

/** Creates the agent's directories (config 0700, state 0750, logs 0750). Rejects on I/O errors. */
export async function ensureDirectories(rt: Runtime): Promise<void> {
  const { settings, fs } = rt;
  await fs.mkdir(settings.configDir, { recursive: true, mode: 0o700 });
  await fs.mkdir(settings.stateDir, { recursive: true, mode: 0o750 });
  await fs.mkdir(settings.logDir, { recursive: true, mode: 0o750 });
  await fs.mkdir(settings.vectorDataDir, { recursive: true, mode: 0o750 });
}
