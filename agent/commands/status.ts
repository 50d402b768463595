/**
 * `flotilla-agent status [--json]`: what this host's agent is doing, read from disk only (identity,
 * state.json, pid files), so it works whether or not the agent runs and whatever the server does.
 */
import { readFileIfExists } from '../state/atomic-write.ts';
import { AGENT_VERSION } from '../version.ts';
import type { Runtime } from './runtime.ts';

export interface StatusReport {
  enrolled: boolean;
  agentId: string | null;
  server: string | null;
  agentRunning: boolean;
  agentPid: number | null;
  agentVersion: string;
  appliedConfigVersion: number;
  configError: { version: number; message: string } | null;
  vectorRunning: boolean;
  vectorPid: number | null;
  vectorUptimeSeconds: number | null;
  lastError: { at: string; message: string } | null;
  inFlightAction: { id: string; type: string; detail: Record<string, unknown> } | null;
  pendingResults: number;
}

/** Collects the status report. Never rejects: unreadable files count as absent. */
export async function collectStatus(rt: Runtime): Promise<StatusReport> {
  const creds = await rt.store.readCredentials();
  const state = await rt.store.load();
  const agent = await readPidFile(rt, rt.paths.agentPidFile);
  const vector = await readPidFile(rt, rt.paths.vectorPidFile);
  const startedAt = vector?.startedAt ? Date.parse(vector.startedAt) : NaN;
  return {
    enrolled: creds !== null,
    agentId: creds?.agentId ?? null,
    server: creds?.apiUrl ?? null,
    agentRunning: agent !== null,
    agentPid: agent?.pid ?? null,
    agentVersion: agent?.version ?? AGENT_VERSION,
    appliedConfigVersion: state.appliedConfigVersion,
    configError: state.configError,
    vectorRunning: vector !== null,
    vectorPid: vector?.pid ?? null,
    vectorUptimeSeconds:
      vector && !Number.isNaN(startedAt) ? Math.round((rt.clock.now() - startedAt) / 1000) : null,
    lastError: state.lastError,
    inFlightAction: state.inFlight
      ? { id: state.inFlight.id, type: state.inFlight.type, detail: state.inFlight.detail }
      : null,
    pendingResults: state.pendingResults.length,
  };
}

/** The `status` command: prints the report (text or JSON); exit 0, or 3 when not enrolled. */
export async function statusCommand(rt: Runtime): Promise<number> {
  const r = await collectStatus(rt);
  if (rt.settings.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return r.enrolled ? 0 : 3;
  }
  const lines = [
    `enrolled:         ${r.enrolled ? `yes, agent ${r.agentId} at ${r.server}` : 'no (run flotilla-agent enrol)'}`,
    `agent:            ${r.agentRunning ? `running, pid ${r.agentPid}` : 'not running'}, version ${r.agentVersion}`,
    `applied config:   version ${r.appliedConfigVersion}`,
    `config error:     ${r.configError ? `version ${r.configError.version}: ${r.configError.message}` : 'none'}`,
    `vector:           ${r.vectorRunning ? `running, pid ${r.vectorPid}, up ${formatUptime(r.vectorUptimeSeconds)}` : 'not running'}`,
    `last error:       ${r.lastError ? `${r.lastError.at} ${r.lastError.message}` : 'none'}`,
    `in-flight action: ${r.inFlightAction ? `${r.inFlightAction.type} ${r.inFlightAction.id} ${JSON.stringify(r.inFlightAction.detail)}` : 'none'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return r.enrolled ? 0 : 3;
}

function formatUptime(seconds: number | null): string {
  if (seconds === null) return 'unknown';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`;
}

interface PidRecord {
  pid: number;
  startedAt?: string;
  version?: string;
}

/** Reads a pid file written by the agent; null when missing, corrupt or the process is gone. */
export async function readPidFile(
  rt: Pick<Runtime, 'fs' | 'processes'>,
  file: string,
): Promise<PidRecord | null> {
  try {
    const text = await readFileIfExists(rt.fs, file);
    if (!text) return null;
    const record = JSON.parse(text) as PidRecord;
    return Number.isInteger(record.pid) && rt.processes.isAlive(record.pid) ? record : null;
  } catch {
    return null;
  }
}
