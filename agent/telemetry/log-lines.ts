/**
 * The most recent warning and error lines of Vector's output, for the heartbeat: a bounded ring fed
 * with every complete output line. Vector logs `<timestamp> <LEVEL> <target>: <message>` (or one JSON
 * object per line with `--log-format json`); lines of other levels are ignored. Each kept line is
 * made storable and cut to MAX_TELEMETRY_LOG_CHARS, and stamped with the time the agent read it.
 */
import { toStorableText } from '../../api/protocol/storable.ts';
import {
  MAX_TELEMETRY_LOG_CHARS,
  MAX_TELEMETRY_LOG_LINES,
  type TelemetryLogLevel,
  type TelemetryLogLine,
} from '../../api/protocol/telemetry.ts';

const ANSI = /\u001b\[[0-9;]*m/g;
const TEXT_LEVEL = /^\S+\s+(WARN|ERROR)\s/;
const JSON_LEVEL = /"level"\s*:\s*"(WARN|ERROR)"/i;

/** The level of one Vector output line when it is a warning or an error. */
export function warningLevel(line: string): TelemetryLogLevel | undefined {
  const match = TEXT_LEVEL.exec(line) ?? (line.startsWith('{') ? JSON_LEVEL.exec(line) : null);
  if (!match) return undefined;
  return match[1].toUpperCase() === 'WARN' ? 'warn' : 'error';
}

/** A ring of the newest MAX_TELEMETRY_LOG_LINES warning/error lines. */
export class VectorLogRing {
  private lines: TelemetryLogLine[] = [];

  constructor(private readonly now: () => number) {}

  /** Look at one complete output line; keeps it when it is a warning or an error. */
  push(raw: string): void {
    const line = raw.replace(ANSI, '').trim();
    const level = warningLevel(line);
    if (!level) return;
    this.lines.push({
      time: new Date(this.now()).toISOString(),
      level,
      message: toStorableText(line, MAX_TELEMETRY_LOG_CHARS),
    });
    if (this.lines.length > MAX_TELEMETRY_LOG_LINES) this.lines.shift();
  }

  /** The kept lines, oldest first. */
  recent(): TelemetryLogLine[] {
    return [...this.lines];
  }
}
