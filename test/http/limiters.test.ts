/**
 * The enrolment and failed-sign-in limiters on rate-limiter-flexible: their limits, bounded keys
 * (a 240 KiB email costs a 43-character key), counters shared by two limiter instances (two
 * replicas) through the local Redis, and a Redis outage falling back to per-process counters.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginLimiter, emailKey } from '../../api/graphql/login-limiter.ts';
import { createRateLimiter } from '../../api/rest/rate-limit.ts';
import { memoryLimiterStore, redisLimiterStore, type LimiterStore } from '../../api/http/limiter-store.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const stores: LimiterStore[] = [];
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.quit();
});

/** A Redis store under a prefix of its own (so tests and runs never share counters). */
function sharedRedis(prefix: string): LimiterStore {
  const store = redisLimiterStore(REDIS_URL, prefix);
  stores.push(store);
  return store;
}

const uniquePrefix = () => `flotilla-test-${randomUUID()}`;

describe('failed sign-ins', () => {
  it('refuses an email after 5 failures (whatever its case or spacing), until a success clears it', async () => {
    const limiter = createLoginLimiter();
    for (let i = 0; i < 4; i++) await limiter.fail('Ann@Example.com', `10.0.0.${i}`);
    expect(await limiter.retryAfter('ann@example.com', '10.9.9.9')).toBe(0);
    await limiter.fail(' ann@example.COM ', '10.0.0.9');
    const wait = await limiter.retryAfter('ann@example.com', '10.9.9.9');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect(await limiter.retryAfter('bob@example.com', '10.9.9.9')).toBe(0);
    await limiter.succeed('ANN@example.com');
    expect(await limiter.retryAfter('ann@example.com', '10.9.9.9')).toBe(0);
  });

  it('refuses an address after 20 failures, whichever emails it tried', async () => {
    const limiter = createLoginLimiter();
    for (let i = 0; i < 20; i++) await limiter.fail(`user${i}@example.com`, '203.0.113.7');
    expect(await limiter.retryAfter('fresh@example.com', '203.0.113.7')).toBeGreaterThan(0);
    expect(await limiter.retryAfter('fresh@example.com', '203.0.113.8')).toBe(0);
  });

  it('keeps a bounded key per email: 400 failures with 240 KiB emails store short keys only', async () => {
    const prefix = uniquePrefix();
    const limiter = createLoginLimiter({ store: sharedRedis(prefix) });
    const huge = (i: number) => `${i}${'x'.repeat(240 * 1024)}@example.com`;
    expect(emailKey(huge(1))).toHaveLength(43);
    expect(emailKey(huge(1))).not.toBe(emailKey(huge(2)));
    for (let i = 0; i < 400; i++) await limiter.fail(huge(i), '198.51.100.1');
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBe(401); // 400 emails and one address
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThan(prefix.length + 80);
    const bytes = await Promise.all(keys.slice(0, 20).map((k) => redis.memory('USAGE', k)));
    expect(Math.max(...bytes.map(Number))).toBeLessThan(1024);
  });

  it('shares counters between two limiter instances (replicas) on one Redis', async () => {
    const prefix = uniquePrefix();
    const replicaA = createLoginLimiter({ store: sharedRedis(prefix) });
    const replicaB = createLoginLimiter({ store: sharedRedis(prefix) });
    for (let i = 0; i < 3; i++) await replicaA.fail('carol@example.com', '10.1.0.1');
    for (let i = 0; i < 2; i++) await replicaB.fail('carol@example.com', '10.1.0.2');
    expect(await replicaA.retryAfter('carol@example.com', '10.1.0.3')).toBeGreaterThan(0);
    expect(await replicaB.retryAfter('carol@example.com', '10.1.0.3')).toBeGreaterThan(0);
    await replicaB.succeed('carol@example.com');
    expect(await replicaA.retryAfter('carol@example.com', '10.1.0.3')).toBe(0);
  });
});

describe('enrolment per address', () => {
  it('allows the limit per minute, then answers the seconds to wait', async () => {
    const limiter = createRateLimiter(3, memoryLimiterStore());
    expect([await limiter.hit('a'), await limiter.hit('a'), await limiter.hit('a')]).toEqual([0, 0, 0]);
    const wait = await limiter.hit('a');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.hit('b')).toBe(0);
  });

  it('counts across two replicas sharing Redis', async () => {
    const prefix = uniquePrefix();
    const replicaA = createRateLimiter(3, sharedRedis(prefix));
    const replicaB = createRateLimiter(3, sharedRedis(prefix));
    expect(await replicaA.hit('198.51.100.9')).toBe(0);
    expect(await replicaB.hit('198.51.100.9')).toBe(0);
    expect(await replicaA.hit('198.51.100.9')).toBe(0);
    expect(await replicaB.hit('198.51.100.9')).toBeGreaterThan(0);
  });

  it('keeps limiting per process when Redis is unreachable, instead of failing', async () => {
    const unreachable = redisLimiterStore('redis://127.0.0.1:1', uniquePrefix());
    stores.push(unreachable);
    const limiter = createRateLimiter(2, unreachable);
    expect(await limiter.hit('a')).toBe(0);
    expect(await limiter.hit('a')).toBe(0);
    expect(await limiter.hit('a')).toBeGreaterThan(0);
  });
});
