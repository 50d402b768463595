/**
 * The one duration syntax of Flotilla's command lines (the agent's flags, the simulator's and the
 * admin CLI's): a number with an optional unit, `ms`, `s`, `m`, `h` or `d`; a bare number is seconds.
 * Kept in the protocol leaf because the agent may import nothing else from api/.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds from `250ms`, `10s`, `5m`, `1h`, `7d` or a bare number of seconds; undefined otherwise. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS]);
}
