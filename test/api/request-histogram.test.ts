/**
 * api/request-histogram.ts against prom-client's own Histogram: the same observations (bucket
 * edges, beyond the last bucket, several label sets) give the same exposition text.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { RequestHistogram } from '../../api/request-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const NAME = 'test_request_duration_seconds';
const HELP = 'Requests.';

type Observation = [route: string, method: string, status: number, seconds: number];

async function both(observations: Observation[]): Promise<[string, string]> {
  const ours = new Registry();
  const fast = new RequestHistogram(NAME, HELP, BUCKETS);
  ours.registerMetric(fast.asRegistryMetric());
  const theirs = new Registry();
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['route', 'method', 'status'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [route, method, status, seconds] of observations) {
    fast.observe(fast.seriesOf(route, method, status), seconds);
    reference.labels(route, method, String(status)).observe(seconds);
  }
  return [await ours.metrics(), await theirs.metrics()];
}

describe('RequestHistogram', () => {
  it('exports what prom-client’s Histogram exports for the same observations, bucket edges included', async () => {
    const [ours, theirs] = await both([
      ['agent_config', 'GET', 204, 0.001],
      ['agent_config', 'GET', 204, 0.0010001],
      ['agent_config', 'GET', 204, 5],
      ['agent_heartbeat', 'POST', 200, 0],
      ['agent_config', 'GET', 304, 1],
    ]);
    expect(ours).toBe(theirs);
    expect(ours).toContain(`${NAME}_bucket{le="0.001",route="agent_config",method="GET",status="204"} 1`);
    expect(ours).toContain(`${NAME}_bucket{le="+Inf",route="agent_config",method="GET",status="204"} 3`);
  });

  it('agrees with prom-client on any observations', async () => {
    const observation = fc.tuple(
      fc.constantFrom('agent_config', 'agent_heartbeat'),
      fc.constantFrom('GET', 'POST'),
      fc.constantFrom(200, 204, 403),
      fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 10, noNaN: true })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), async (observations) => {
        const [ours, theirs] = await both(observations);
        expect(ours).toBe(theirs);
      }),
      { seed: 15, numRuns: 200 },
    );
  });
});
