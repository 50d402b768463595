/**
 * The heartbeat's happy path without a copy: HeartbeatRequest (v1.ts, with every bound) parses
 * into a new object, which for thousands of heartbeats a second is garbage. plainHeartbeat accepts
 * the parsed JSON itself when it is a heartbeat the schema would return unchanged — only the
 * fields below, each within the schema's bounds, nothing to trim — and says "ask the schema"
 * otherwise (action results, unknown or newer fields, anything out of bounds), so every refusal
 * keeps the schema's error.
 */
import {
  MAX_CAPABILITIES,
  MAX_CAPABILITY_LENGTH,
  MAX_CONFIG_ERROR_LENGTH,
  type HeartbeatRequest,
} from '../protocol/v1.ts';
import {
  INT32_MAX,
  SHA256_HEX,
  MAX_UPTIME_SECONDS,
  MAX_VERSION_LENGTH,
  isStorableText,
} from '../protocol/storable.ts';

const PLAIN_KEYS = new Set([
  'agentVersion',
  'vectorVersion',
  'appliedConfigVersion',
  'vectorRunning',
  'vectorUptimeSeconds',
  'configError',
  // Any value: the schema passes telemetry through as it is, and parseTelemetry checks it part by part.
  'telemetry',
  'runningConfigSha256',
  'capabilities',
]);

const EDGE_SPACE = /^\s|\s$/;

/** `value` as a HeartbeatRequest when the schema would accept it as it is; undefined: ask the schema. */
export function plainHeartbeat(value: unknown): HeartbeatRequest | undefined {
  if (!isRecord(value)) return undefined;
  for (const key in value) if (!PLAIN_KEYS.has(key)) return undefined;
  const v = value as Partial<HeartbeatRequest>;
  const ok =
    text(v.agentVersion, MAX_VERSION_LENGTH, 1) &&
    !EDGE_SPACE.test(v.agentVersion as string) &&
    text(v.vectorVersion, MAX_VERSION_LENGTH, 0) &&
    int32(v.appliedConfigVersion) &&
    typeof v.vectorRunning === 'boolean' &&
    typeof v.vectorUptimeSeconds === 'number' &&
    v.vectorUptimeSeconds >= 0 &&
    v.vectorUptimeSeconds <= MAX_UPTIME_SECONDS &&
    configError(v.configError) &&
    (v.runningConfigSha256 === undefined ||
      (typeof v.runningConfigSha256 === 'string' && SHA256_HEX.test(v.runningConfigSha256))) &&
    capabilities(v.capabilities);
  return ok ? (value as HeartbeatRequest) : undefined;
}

function configError(e: unknown): boolean {
  if (e === undefined || e === null) return true;
  if (!isRecord(e)) return false;
  for (const key in e) if (key !== 'version' && key !== 'message') return false;
  return int32(e.version) && text(e.message, MAX_CONFIG_ERROR_LENGTH, 0);
}

function capabilities(c: unknown): boolean {
  if (c === undefined) return true;
  return (
    Array.isArray(c) &&
    c.length <= MAX_CAPABILITIES &&
    c.every((name) => text(name, MAX_CAPABILITY_LENGTH, 0))
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, max: number, min: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max && isStorableText(v);
}

function int32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= INT32_MAX;
}
