/**
 * Where the CPU goes during a benchmark interval, from Linux /proc: the server process, every
 * PostgreSQL backend (all databases: other work on the machine shows up here too), and the whole
 * machine's busy share, each as a percentage of one core.
 */
import fs from 'node:fs/promises';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  at: number;
  server: number;
  /** Ticks of each PostgreSQL process, by pid (backends come and go). */
  postgres: Map<string, number>;
  machineBusy: number;
  machineTotal: number;
}

export interface CpuUse {
  /** Percent of one core (200 = both cores of a 2-core machine). */
  serverPercent: number;
  postgresPercent: number;
  /** Every process on the machine, percent of one core. */
  machinePercent: number;
  /** Machine busy share of all cores, 0–100. */
  machineBusyShare: number;
}

/** utime + stime of a process in ticks (0 when it is gone). */
async function processTicks(pid: number | string): Promise<{ ticks: number; comm: string }> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), comm: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return { ticks: 0, comm: '' };
  }
}

async function postgresTicks(): Promise<Map<string, number>> {
  const pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const all = await Promise.all(pids.map(async (pid) => ({ pid, ...(await processTicks(pid)) })));
  return new Map(all.filter((p) => p.comm === 'postgres').map((p) => [p.pid, p.ticks]));
}

/** Take a sample now for server process `serverPid`. */
export async function sampleCpu(serverPid: number): Promise<CpuSample> {
  const [server, postgres, stat] = await Promise.all([
    processTicks(serverPid),
    postgresTicks(),
    fs.readFile('/proc/stat', 'utf8'),
  ]);
  const cpu = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { at: Date.now(), server: server.ticks, postgres, machineBusy: total - idle, machineTotal: total };
}

/** CPU used between two samples (a PostgreSQL backend that exited in between is not counted). */
export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const pct = (ticks: number) => Math.round((100 * ticks) / TICKS_PER_SECOND / seconds);
  const totalTicks = Math.max(1, b.machineTotal - a.machineTotal);
  let postgres = 0;
  for (const [pid, ticks] of b.postgres) postgres += ticks - (a.postgres.get(pid) ?? 0);
  return {
    serverPercent: pct(b.server - a.server),
    postgresPercent: pct(postgres),
    machinePercent: pct(b.machineBusy - a.machineBusy),
    machineBusyShare: Math.round((100 * (b.machineBusy - a.machineBusy)) / totalTicks),
  };
}
