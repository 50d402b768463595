/**
 * The heartbeat's copy-free happy path (api/rest/heartbeat-check.ts) against the protocol's
 * schema: whatever it accepts, the schema accepts and returns unchanged; the agent's everyday
 * heartbeat takes it; everything else is left to the schema.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainHeartbeat } from '../../api/rest/heartbeat-check.ts';
import { HeartbeatRequest, MAX_CONFIG_ERROR_LENGTH } from '../../api/protocol/v1.ts';
import { INT32_MAX, MAX_UPTIME_SECONDS, MAX_VERSION_LENGTH } from '../../api/protocol/storable.ts';
import { fuzzParams, unstorableString } from '../fuzz/arbitraries.ts';

const everyday = {
  agentVersion: '1.4.0',
  vectorVersion: '0.58.0',
  appliedConfigVersion: 12,
  vectorRunning: true,
  vectorUptimeSeconds: 3600,
  configError: null,
};

const edgeText = (max: number) =>
  fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('', ' ', ' 1.0', '1.0 ', '\u00a01.0', '1.0\n', 'x'.repeat(max), 'x'.repeat(max + 1)),
    unstorableString,
  );
const edgeNumber = fc.oneof(
  fc.integer({ min: -2, max: 5 }),
  fc.constantFrom(0.5, -0, INT32_MAX, INT32_MAX + 1, MAX_UPTIME_SECONDS, MAX_UPTIME_SECONDS + 1, 1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const anyValue = fc.oneof(edgeText(4), edgeNumber, fc.boolean(), fc.constant(null), fc.constant([]));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 20 });
/** Mostly a good value, sometimes an edge case: most bodies are near the boundary of valid. */
const field = <T, U>(good: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: edge, weight: 1 });
const heartbeat = fc
  .record({
    agentVersion: maybe(
      field(fc.constantFrom('1.0.0', 'v2'), fc.oneof(edgeText(MAX_VERSION_LENGTH), anyValue)),
    ),
    vectorVersion: maybe(
      field(fc.constantFrom('0.58.0', ''), fc.oneof(edgeText(MAX_VERSION_LENGTH), anyValue)),
    ),
    appliedConfigVersion: maybe(field(fc.nat(), fc.oneof(edgeNumber, anyValue))),
    vectorRunning: maybe(field(fc.boolean(), anyValue)),
    vectorUptimeSeconds: maybe(field(fc.nat(MAX_UPTIME_SECONDS), fc.oneof(edgeNumber, anyValue))),
    configError: maybe(
      field(
        fc.oneof(
          fc.constant(null),
          fc.record({
            version: field(fc.nat(), fc.oneof(edgeNumber, anyValue)),
            message: field(
              fc.string({ maxLength: 20 }),
              fc.oneof(edgeText(MAX_CONFIG_ERROR_LENGTH), anyValue),
            ),
          }),
        ),
        anyValue,
      ),
    ),
    extra: fc.option(anyValue, { nil: undefined, freq: 2 }),
  })
  // As it arrives: JSON text parsed (undefined fields vanish).
  .map((body) => JSON.parse(JSON.stringify(body)) as unknown);

describe('heartbeat happy path without a copy', () => {
  it('takes the everyday heartbeat, with and without a config error, as the very same object', () => {
    for (const body of [
      everyday,
      { ...everyday, configError: { version: 13, message: 'x Sink "out": bad' } },
      { ...everyday, configError: undefined },
      { ...everyday, vectorVersion: '', vectorRunning: false, vectorUptimeSeconds: 0 },
    ]) {
      const parsed = JSON.parse(JSON.stringify(body)) as unknown;
      expect(plainHeartbeat(parsed)).toBe(parsed);
    }
  });

  it('leaves action results, unknown fields and a __proto__ key to the schema', () => {
    for (const text of [
      JSON.stringify({ ...everyday, actionResults: [] }),
      JSON.stringify({ ...everyday, configDrift: {} }),
      JSON.stringify({ ...everyday, configError: { version: 1, message: 'm', at: 1 } }),
      `{"__proto__":{"x":1},${JSON.stringify(everyday).slice(1)}`,
    ])
      expect(plainHeartbeat(JSON.parse(text))).toBeUndefined();
  });

  it('accepts only what the schema accepts unchanged', () => {
    let accepted = 0;
    fc.assert(
      fc.property(heartbeat, (body) => {
        if (plainHeartbeat(body) === undefined) return;
        accepted++;
        const parsed = HeartbeatRequest.safeParse(body);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(body);
      }),
      fuzzParams(1000, 10_000),
    );
    // The generator reaches the happy path often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(20);
  });
});
