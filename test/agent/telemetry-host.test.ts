/** agent/telemetry/host.ts and log-lines.ts: /proc parsing, a real sample of this Linux box, Vector's warnings. */
import os from 'node:os';
import * as fsp from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import {
  HostTelemetry,
  MAX_TELEMETRY_LOG_CHARS,
  MAX_TELEMETRY_LOG_LINES,
} from '../../api/protocol/telemetry.ts';
import {
  HostSampler,
  cpuPercent,
  parseLoadAvg,
  parseMemInfo,
  parseNetDev,
  parseProcStat,
} from '../../agent/telemetry/host.ts';
import { VectorLogRing, warningLevel } from '../../agent/telemetry/log-lines.ts';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0
  eth0: 1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:  300       3    0    0    0     0          0         0      400       4    0    0    0     0       0          0
`;

describe('host metrics parsers', () => {
  it('reads /proc/stat, loadavg, meminfo and net/dev', () => {
    const before = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n')!;
    const after = parseProcStat('cpu  200 0 200 1300 100 0 0 0 0 0\n')!;
    expect(before).toEqual({ total: 1000, idle: 800 });
    expect(cpuPercent(before, after)).toBe(25);
    expect(cpuPercent(after, after)).toBeUndefined();
    expect(parseLoadAvg('0.42 0.38 0.30 1/123 4567\n')).toEqual({ load1: 0.42, load5: 0.38, load15: 0.3 });
    expect(parseLoadAvg('garbage')).toEqual({});
    expect(parseMemInfo('MemTotal:       8000 kB\nMemFree:  1 kB\nMemAvailable:   6000 kB\n')).toEqual({
      memoryUsedBytes: 2000 * 1024,
      memoryAvailableBytes: 6000 * 1024,
    });
    expect(parseMemInfo('MemTotal: 8000 kB\n')).toEqual({});
    expect(parseNetDev(NET_DEV)).toEqual({ networkInBytes: 1300, networkOutBytes: 2400 });
  });

  it('samples this Linux box: every field present and valid, CPU use from the second sample on', async () => {
    const sampler = new HostSampler(
      {
        readFile: (file) => fsp.readFile(file, 'utf8'),
        statfs: (dir) => fsp.statfs(dir),
        memoryUsage: () => process.memoryUsage(),
        cpuUsage: () => process.cpuUsage(),
      },
      os.tmpdir(),
    );
    const first = await sampler.sample();
    expect(first.cpuPercent).toBeUndefined();
    expect(HostTelemetry.safeParse(first).success).toBe(true);
    // /proc/stat counts in clock ticks (10 ms): wait until one has passed since the first sample.
    const procStatTotal = async () => parseProcStat(await fsp.readFile('/proc/stat', 'utf8'))!.total;
    const afterFirst = await procStatTotal();
    await vi.waitUntil(async () => (await procStatTotal()) > afterFirst, { interval: 5, timeout: 5_000 });
    const second = await sampler.sample();
    expect(HostTelemetry.strict().parse(second)).toEqual(second);
    expect(Object.keys(second).sort()).toEqual(Object.keys(HostTelemetry.shape).sort());
    expect(second.memoryAvailableBytes! + second.memoryUsedBytes!).toBe(os.totalmem());
    expect(second.diskUsedBytes!).toBeLessThanOrEqual(second.diskTotalBytes!);
    expect(second.agentRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(second.agentCpuSeconds).toBeGreaterThanOrEqual(first.agentCpuSeconds!);
  });

  it('leaves out what it cannot read', async () => {
    const sampler = new HostSampler(
      {
        readFile: () => Promise.reject(new Error('ENOENT')),
        statfs: () => Promise.reject(new Error('ENOENT')),
        memoryUsage: () => ({ rss: 1 }),
        cpuUsage: () => ({ user: 1_500_000, system: 500_000 }),
      },
      '/nowhere',
    );
    expect(await sampler.sample()).toEqual({ agentRssBytes: 1, agentCpuSeconds: 2 });
  });
});

describe('VectorLogRing', () => {
  it('keeps the newest warning and error lines of Vector’s text and JSON output, cut and storable', () => {
    let now = Date.parse('2026-12-06T09:00:00Z');
    const ring = new VectorLogRing(() => now);
    ring.push('2026-12-06T09:00:00.000000Z  INFO vector::app: Loading configs.');
    ring.push('2026-12-06T09:00:00.000000Z  WARN vector::sources::file: Currently ignoring file too small.');
    ring.push(
      '\u001b[2m2026-12-06T09:00:00Z\u001b[0m \u001b[31mERROR\u001b[0m vector::topology: Configuration error.',
    );
    ring.push(
      '{"timestamp":"2026-12-06T09:00:00Z","level":"ERROR","message":"sink failed\u0000","target":"vector"}',
    );
    expect(ring.recent().map((l) => l.level)).toEqual(['warn', 'error', 'error']);
    expect(ring.recent()[1].message).toBe(
      '2026-12-06T09:00:00Z ERROR vector::topology: Configuration error.',
    );
    expect(ring.recent()[2].message).toContain('sink failed\uFFFD');
    for (let i = 0; i < MAX_TELEMETRY_LOG_LINES + 5; i++) {
      now += 1000;
      ring.push(`2026-12-06T09:00:00Z ERROR vector: line ${i} ${'x'.repeat(MAX_TELEMETRY_LOG_CHARS)}`);
    }
    const lines = ring.recent();
    expect(lines).toHaveLength(MAX_TELEMETRY_LOG_LINES);
    expect(lines[0].message).toContain('line 5 ');
    expect(lines.every((l) => l.message.length === MAX_TELEMETRY_LOG_CHARS)).toBe(true);
    expect(lines.at(-1)!.time).toBe(new Date(now).toISOString());
    expect(warningLevel('WARN at the start is no level')).toBeUndefined();
  });
});
