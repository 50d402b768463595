/**
 * The set-up the rollout driver tests share: one test server per file on an injected clock, its
 * rollouts job kept quiet (a ten-minute interval) so the file drives rounds by hand, and the clock
 * moved forward without sleeping.
 */
import { afterAll, beforeAll } from 'vitest';
import { driveRollouts } from '../../api/fleet/rollout/driver.ts';
import { startTestServer, type TestServer } from './app.ts';

export interface RolloutHarness {
  /** The file's server (set once beforeAll has run). */
  readonly server: TestServer;
  /** The injected clock's time. */
  now(): Date;
  /** Move the clock `seconds` forward. */
  advance(seconds: number): void;
  /** One round of the rollout driver; a rollout that fails fails the test. */
  drive(): Promise<void>;
}

/** Registers the file's beforeAll (server start, then `setup`) and afterAll (close). */
export function rolloutHarness(setup?: (server: TestServer) => Promise<unknown>): RolloutHarness {
  let server: TestServer | undefined;
  let now = new Date('2026-12-06T10:00:00Z');
  beforeAll(async () => {
    server = await startTestServer({ clock: () => now, env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '600000' } });
    await setup?.(server);
  });
  afterAll(() => server?.close());
  const harness: RolloutHarness = {
    get server() {
      if (!server) throw new Error('the rollout test server is not started yet');
      return server;
    },
    now: () => now,
    advance(seconds) {
      now = new Date(now.getTime() + seconds * 1000);
    },
    async drive() {
      await driveRollouts(harness.server.ctx, (id, error) => {
        throw new Error(`rollout ${id} failed: ${String(error)}`);
      });
    },
  };
  return harness;
}
