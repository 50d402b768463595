/**
 * `collect_diagnostics`: build a bounded bundle (versions, settings without tokens, state.json,
 * the tails of the agent's and Vector's logs, the running config with secret-looking values
 * redacted, host facts), upload it through the agent's diagnostics route with its own token, and
 * report `done` with `{ diagnosticsId, sizeBytes }`, or `failed` with `{ error }` when the upload
 * fails. Parts that cannot be read are listed in `problems`; the bundle is still sent. The server
 * replaces every secret value of the group it finds as well (api/fleet/diagnostics.ts).
 */
import os from 'node:os';
import {
  DIAGNOSTICS_CONFIG_BYTES,
  DIAGNOSTICS_LOG_TAIL_BYTES,
  MAX_DIAGNOSTICS_BYTES,
  type DiagnosticsBundle,
} from '../../api/protocol/actions.ts';
import { toStorableText } from '../../api/protocol/storable.ts';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../log.ts';
import type { AgentSettings } from '../settings.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import type { StateStore } from '../state/store.ts';
import type { AgentClient } from '../transport/client.ts';
import type { ActionHandler, FinalOutcome } from './runner.ts';

export interface DiagnosticsDeps {
  client: Pick<AgentClient, 'uploadDiagnostics'>;
  store: Pick<StateStore, 'readCredentials' | 'current'>;
  fs: AgentFs;
  clock: Clock;
  settings: AgentSettings;
  agentVersion: string;
  vectorVersion: () => string;
  /** The agent's recent log text (LogTail). */
  agentLog: () => string;
  vectorLogFile: string;
  configFile: string;
}

/** Settings and config keys whose values never leave the host. */
const SENSITIVE_KEY =
  /token|secret|password|passwd|passphrase|key_pass|api_?key|access_key|private_key|credential|auth/i;
const REDACTED = '<redacted>';
/** `key: value` on one line of YAML (optionally a list item), with a key that looks sensitive. */
const SENSITIVE_LINE = /^(\s*(?:-\s+)?["']?[\w.-]+["']?\s*:\s*)(\S.*)$/;

/**
 * The config text with the value of every `key: value` line whose key looks sensitive replaced by
 * `<redacted>` (block scalars under such keys are dropped line by line too). Pure.
 */
export function redactConfig(text: string): string {
  const out: string[] = [];
  let blockIndent = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0 && (line.trim() === '' || indent > blockIndent)) continue;
    blockIndent = -1;
    const m = SENSITIVE_LINE.exec(line);
    const key = m?.[1].replace(/[-\s"':]/g, '') ?? '';
    if (m && SENSITIVE_KEY.test(key)) {
      if (/^[|>]/.test(m[2])) blockIndent = indent;
      out.push(`${m[1]}"${REDACTED}"`);
    } else out.push(line);
  }
  return out.join('\n');
}

/** The handler for `collect_diagnostics`. */
export function createDiagnosticsHandler(deps: DiagnosticsDeps): ActionHandler {
  return {
    async run(action) {
      const creds = await deps.store.readCredentials();
      if (!creds) return failed('the agent is not enrolled');
      const bundle = await collectBundle(deps);
      const uploaded = await deps.client.uploadDiagnostics(creds, action.id, bundle);
      if (uploaded.kind !== 'ok') return failed(`cannot upload the diagnostics bundle: ${uploaded.message}`);
      return {
        status: 'done',
        result: { diagnosticsId: uploaded.value.id, sizeBytes: uploaded.value.sizeBytes },
      };
    },
    resume: () => failed('the agent restarted before the diagnostics bundle was uploaded'),
  };
}

const failed = (error: string): FinalOutcome => ({ status: 'failed', result: { error } });

/** Builds the bundle; never rejects (unreadable parts are named in `problems`). */
export async function collectBundle(deps: DiagnosticsDeps): Promise<DiagnosticsBundle> {
  const problems: string[] = [];
  const attempt = async <T>(part: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      problems.push(toStorableText(`${part}: ${errorMessage(error)}`, 500));
      return undefined;
    }
  };
  const vectorLog = await attempt('vectorLog', () =>
    readTail(deps.fs, deps.vectorLogFile, DIAGNOSTICS_LOG_TAIL_BYTES),
  );
  const config = await attempt('runningConfig', () =>
    readTail(deps.fs, deps.configFile, DIAGNOSTICS_CONFIG_BYTES),
  );
  const bundle: DiagnosticsBundle = {
    collectedAt: new Date(deps.clock.now()).toISOString(),
    agentVersion: deps.agentVersion,
    vectorVersion: deps.vectorVersion(),
    settings: safeSettings(deps.settings),
    state: deps.store.current,
    host: hostFacts(deps.settings),
    agentLog: tailText(deps.agentLog(), DIAGNOSTICS_LOG_TAIL_BYTES),
    ...(vectorLog === undefined ? {} : { vectorLog: tailText(vectorLog, DIAGNOSTICS_LOG_TAIL_BYTES) }),
    ...(config === undefined
      ? {}
      : { runningConfig: tailText(redactConfig(config), DIAGNOSTICS_CONFIG_BYTES) }),
    ...(problems.length > 0 ? { problems: problems.slice(0, 20) } : {}),
  };
  return fit(bundle);
}

/** Halves the log tails until the JSON fits MAX_DIAGNOSTICS_BYTES (escaping can double text). */
function fit(bundle: DiagnosticsBundle): DiagnosticsBundle {
  let b = bundle;
  for (let i = 0; i < 8 && Buffer.byteLength(JSON.stringify(b)) > MAX_DIAGNOSTICS_BYTES; i++) {
    const half = (s: string | undefined) => (s === undefined ? undefined : s.slice(Math.floor(s.length / 2)));
    b = {
      ...b,
      agentLog: half(b.agentLog),
      vectorLog: half(b.vectorLog),
      runningConfig: half(b.runningConfig),
    };
  }
  return b;
}

function safeSettings(settings: AgentSettings): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [
      key,
      SENSITIVE_KEY.test(key) && value ? REDACTED : value,
    ]),
  );
}

function hostFacts(settings: AgentSettings): Record<string, unknown> {
  return {
    hostname: os.hostname(),
    platform: settings.platform,
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: os.cpus().length,
    memoryTotalBytes: os.totalmem(),
    memoryFreeBytes: os.freemem(),
    uptimeSeconds: Math.round(os.uptime()),
    loadAverage: os.loadavg(),
    node: process.version,
    pid: process.pid,
  };
}

/** The last `max` characters of text, storable, starting at a line when it was cut. */
function tailText(text: string, max: number): string {
  if (text.length <= max) return toStorableText(text, max);
  const cut = text.slice(text.length - max);
  const newline = cut.indexOf('\n');
  return toStorableText(newline >= 0 ? cut.slice(newline + 1) : cut, max);
}

/** The last `maxBytes` bytes of a file as UTF-8 text. Rejects when it cannot be read. */
async function readTail(fs: AgentFs, file: string, maxBytes: number): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
