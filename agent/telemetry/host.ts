/**
 * Host and agent-process metrics for the heartbeat, from Linux's /proc (stat, loadavg, meminfo,
 * net/dev), statfs of Vector's data directory, and the agent's own process.memoryUsage/cpuUsage.
 * Each source is read on its own: one that is missing or unreadable leaves its fields out. CPU use
 * is the busy share since the previous sample, so the first sample has none.
 */
import type { HostTelemetry } from '../../api/protocol/telemetry.ts';

export interface HostSources {
  readFile(path: string): Promise<string>;
  statfs(path: string): Promise<{ blocks: number; bfree: number; bsize: number }>;
  memoryUsage(): { rss: number };
  cpuUsage(): { user: number; system: number };
}

/** CPU time counters of /proc/stat's first line: all jiffies and the idle (idle + iowait) ones. */
export interface CpuTimes {
  total: number;
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  if (values.length < 4 || values.some((v) => !Number.isFinite(v))) return undefined;
  // user nice system idle iowait irq softirq steal; guest times are already inside user/nice.
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, idle: values[3] + (values[4] ?? 0) };
}

/** Busy share of the CPUs between two /proc/stat samples, 0–100 (undefined when no time passed). */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  if (total <= 0) return undefined;
  const busy = total - (after.idle - before.idle);
  return Math.min(100, Math.max(0, (busy / total) * 100));
}

/** /proc/loadavg → the 1, 5 and 15 minute load averages. */
export function parseLoadAvg(text: string): Pick<HostTelemetry, 'load1' | 'load5' | 'load15'> {
  const [load1, load5, load15] = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (![load1, load5, load15].every((v) => Number.isFinite(v) && v >= 0)) return {};
  return { load1, load5, load15 };
}

/** /proc/meminfo → used (total − available) and available memory, in bytes. */
export function parseMemInfo(text: string): Pick<HostTelemetry, 'memoryUsedBytes' | 'memoryAvailableBytes'> {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  if (total === undefined || available === undefined) return {};
  return { memoryUsedBytes: Math.max(0, total - available), memoryAvailableBytes: available };
}

/** /proc/net/dev → bytes received and sent by every interface except loopback, since boot. */
export function parseNetDev(text: string): Pick<HostTelemetry, 'networkInBytes' | 'networkOutBytes'> {
  let rx = 0;
  let tx = 0;
  let found = false;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (name === 'lo' || fields.length < 9 || !Number.isFinite(fields[0]) || !Number.isFinite(fields[8]))
      continue;
    rx += fields[0];
    tx += fields[8];
    found = true;
  }
  return found ? { networkInBytes: rx, networkOutBytes: tx } : {};
}

/** Samples the host; keeps the previous CPU sample to compute CPU use between heartbeats. */
export class HostSampler {
  private lastCpu: CpuTimes | undefined;

  constructor(
    private readonly sources: HostSources,
    private readonly dataDir: string,
    private readonly procRoot = '/proc',
  ) {}

  /** One sample; resolves with whatever could be read (never rejects). */
  async sample(): Promise<HostTelemetry> {
    const read = (name: string) => this.sources.readFile(`${this.procRoot}/${name}`).catch(() => undefined);
    const [stat, loadavg, meminfo, netdev, fsStats] = await Promise.all([
      read('stat'),
      read('loadavg'),
      read('meminfo'),
      read('net/dev'),
      this.sources.statfs(this.dataDir).catch(() => undefined),
    ]);
    const host: HostTelemetry = {};
    const cpu = stat === undefined ? undefined : parseProcStat(stat);
    if (cpu && this.lastCpu) {
      const percent = cpuPercent(this.lastCpu, cpu);
      if (percent !== undefined) host.cpuPercent = Math.round(percent * 10) / 10;
    }
    if (cpu) this.lastCpu = cpu;
    if (loadavg !== undefined) Object.assign(host, parseLoadAvg(loadavg));
    if (meminfo !== undefined) Object.assign(host, parseMemInfo(meminfo));
    if (fsStats) {
      host.diskTotalBytes = fsStats.blocks * fsStats.bsize;
      host.diskUsedBytes = (fsStats.blocks - fsStats.bfree) * fsStats.bsize;
    }
    if (netdev !== undefined) Object.assign(host, parseNetDev(netdev));
    host.agentRssBytes = this.sources.memoryUsage().rss;
    const { user, system } = this.sources.cpuUsage();
    host.agentCpuSeconds = Math.round((user + system) / 1000) / 1000;
    return host;
  }
}
