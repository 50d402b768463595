/**
 * `flotilla-agent run`: wires the real parts into the loop and runs until SIGTERM/SIGINT (exit 0,
 * Vector stopped gracefully) or until an upgrade hands over to the new version (exit 0; see
 * actions/upgrade.ts). A second agent on the same state directory refuses to start (exit 1).
 */
import { ActionRunner } from '../actions/runner.ts';
import { createUpgradeHandler } from '../actions/upgrade.ts';
import { Applier } from '../apply/apply.ts';
import { DriftWatch } from '../apply/drift.ts';
import { createRestartVectorHandler } from '../actions/restart-vector.ts';
import { createValidateConfigHandler } from '../actions/validate-config.ts';
import { createDiagnosticsHandler } from '../actions/diagnostics.ts';
import { AgentLoop } from '../loop.ts';
import { errorMessage } from '../log.ts';
import { writeFileAtomic } from '../state/atomic-write.ts';
import { OutputLog } from '../supervisor/output-log.ts';
import { metricsAddress } from '../apply/telemetry-components.ts';
import { createTelemetryCollector } from '../telemetry/wiring.ts';
import { VectorLogRing } from '../telemetry/log-lines.ts';
import { readVectorVersion, validateConfig, validateReport } from '../supervisor/validate.ts';
import { VectorSupervisor } from '../supervisor/vector.ts';
import { createBackoff } from '../transport/backoff.ts';
import { AGENT_IS_EXECUTABLE, AGENT_VERSION } from '../version.ts';
import { enrolHost } from './enrol.ts';
import { ensureDirectories, type Runtime } from './runtime.ts';
import { readPidFile } from './status.ts';

/**
 * Runs the agent. `agentArgs` are the options it was started with (after `run`), reused to start
 * the upgrade watcher. Resolves the exit code; never rejects.
 */
export async function runCommand(rt: Runtime, agentArgs: string[]): Promise<number> {
  const { settings, paths, log } = rt;
  try {
    await ensureDirectories(rt);
  } catch (error) {
    process.stderr.write(`cannot create the agent directories: ${errorMessage(error)}\n`);
    return 1;
  }
  const other = await readPidFile(rt, paths.agentPidFile);
  if (
    other &&
    other.pid !== process.pid &&
    /flotilla-agent|agent\/main/.test((await rt.processes.commandLine(other.pid)) ?? '')
  ) {
    process.stderr.write(`another agent is running on ${settings.stateDir} (pid ${other.pid})\n`);
    return 1;
  }
  await writeFileAtomic(
    rt.fs,
    paths.agentPidFile,
    JSON.stringify({
      pid: process.pid,
      startedAt: new Date(rt.clock.now()).toISOString(),
      version: AGENT_VERSION,
    }),
  );
  await rt.store.load();
  const backoff = (initialMs: number, maxMs: number) => createBackoff({ initialMs, maxMs }, rt.random);
  const vectorWarnings = new VectorLogRing(() => rt.clock.now());
  const output = new OutputLog({
    fs: rt.syncFs,
    file: paths.vectorLogFile,
    maxBytes: settings.vectorLogMaxBytes,
    keep: settings.vectorLogFiles,
    onLine: (line) => vectorWarnings.push(line),
  });
  const supervisor = new VectorSupervisor({
    bin: settings.vectorBin,
    configFile: paths.configFile,
    dataDir: settings.vectorDataDir,
    pidFile: paths.vectorPidFile,
    env: rt.env,
    spawn: rt.spawn,
    fs: rt.fs,
    clock: rt.clock,
    processes: rt.processes,
    log: log.child({ part: 'supervisor' }),
    output,
    restartBackoff: backoff(settings.vectorRestartInitialMs, settings.vectorRestartMaxMs),
    stopGraceMs: settings.vectorStopGraceMs,
    stableAfterMs: Math.max(10_000, settings.vectorRestartMaxMs),
    startupGraceMs: 5_000,
  });
  await supervisor.reapStale();
  let vectorVersion = await readVectorVersion(rt.vectorCli);
  supervisor.onEvent((event) => {
    if (event.type === 'started')
      void readVectorVersion(rt.vectorCli).then((v) => (vectorVersion = v || vectorVersion));
  });
  const applier = new Applier({
    fs: rt.fs,
    configFile: paths.configFile,
    candidateFile: paths.candidateFile,
    appliedCopyFile: paths.appliedCopyFile,
    dataDir: settings.vectorDataDir,
    validate: (file) => validateConfig(rt.vectorCli, file),
    supervisor,
    reloadCheckMs: settings.reloadCheckMs,
    metricsAddress: settings.metricsPort > 0 ? metricsAddress(settings.metricsPort) : undefined,
    log: log.child({ part: 'apply' }),
  });
  const upgrade = createUpgradeHandler({
    fs: rt.fs,
    spawn: rt.spawn,
    clock: rt.clock,
    log: log.child({ part: 'upgrade' }),
    client: rt.client,
    agentVersion: AGENT_VERSION,
    platform: settings.platform,
    installDir: settings.installDir,
    upgradeLogFile: paths.upgradeLogFile,
    nodePath: AGENT_IS_EXECUTABLE ? null : process.execPath,
    agentArgs,
    env: rt.env,
    pid: process.pid,
  });
  const actions = new ActionRunner(
    rt.store,
    {
      upgrade_agent: upgrade,
      restart_vector: createRestartVectorHandler(supervisor, settings.reloadCheckMs),
      validate_config: createValidateConfigHandler({
        client: rt.client,
        store: rt.store,
        fs: rt.fs,
        file: paths.validateFile,
        localConfig: (body) => applier.localConfig(body),
        dataDir: settings.vectorDataDir,
        validate: (file, maxChars) => validateReport(rt.vectorCli, file, maxChars),
      }),
      collect_diagnostics: createDiagnosticsHandler({
        client: rt.client,
        store: rt.store,
        fs: rt.fs,
        clock: rt.clock,
        settings,
        agentVersion: AGENT_VERSION,
        vectorVersion: () => vectorVersion,
        agentLog: () => rt.logTail.text(),
        vectorLogFile: paths.vectorLogFile,
        configFile: paths.configFile,
      }),
    },
    rt.clock,
    log.child({ part: 'actions' }),
  );
  const telemetry = createTelemetryCollector(rt, supervisor, vectorWarnings);
  const loop = new AgentLoop({
    store: rt.store,
    client: rt.client,
    applier,
    supervisor,
    actions,
    drift: new DriftWatch({
      fs: rt.fs,
      configFile: paths.configFile,
      appliedCopyFile: paths.appliedCopyFile,
      dataDir: settings.vectorDataDir,
      store: rt.store,
      supervisor,
      log: log.child({ part: 'drift' }),
    }),
    clock: rt.clock,
    random: rt.random,
    newBackoff: () => backoff(settings.backoffInitialMs, settings.backoffMaxMs),
    log,
    agentVersion: AGENT_VERSION,
    vectorVersion: () => vectorVersion,
    pollIntervalMs: settings.pollIntervalMs,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    longPollSeconds: settings.longPollSeconds,
    enrolmentCheckMs: Math.min(5_000, settings.pollIntervalMs),
    telemetry: () => telemetry.collect(),
    autoEnrol:
      settings.apiUrl && settings.token
        ? async (signal) => {
            const outcome = await enrolHost(rt, 1, signal);
            if (outcome.kind !== 'ok') log.warn('enrolment failed', { error: outcome.message });
            return outcome.kind === 'ok';
          }
        : undefined,
  });

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('stopping', { signal });
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () =>
    log.info('SIGHUP ignored: the agent reloads Vector itself when its config changes'),
  );
  log.info('flotilla-agent starting', {
    version: AGENT_VERSION,
    stateDir: settings.stateDir,
    vector: settings.vectorBin,
  });
  let code = 0;
  try {
    const end = await loop.run(stop.signal);
    if (end === 'restart') log.info('handing over to the new version');
  } catch (error) {
    log.error('agent failed', { error });
    code = 1;
  }
  await supervisor.stop();
  output.close();
  await rt.fs.rm(paths.agentPidFile, { force: true }).catch(() => undefined);
  log.info('flotilla-agent stopped', { code });
  return code;
}
