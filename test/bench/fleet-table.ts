/** The fleet benchmarks as rows for `npm run bench`'s printed summary. */
import { AGENTS_PER_CORE_TARGET, HEARTBEAT_P99_TARGET_MS } from './capacity.ts';
import { FANOUT_CPU_RATIO_TARGET, FANOUT_DASHBOARDS, FANOUT_P99_TARGET_MS } from './fanout.ts';
import type { FleetBenchResult } from './fleet-bench.ts';
import { AGENT_MEMORY_TARGET_BYTES } from './memory.ts';
import { PROPAGATION_P99_TARGET_MS, SECOND_CHANGE_AFTER_MS } from './propagation.ts';

const thousands = (n: number) => n.toLocaleString('en-US');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const verdict = (met: boolean) => (met ? 'met' : 'missed');

/** A text table: one row per figure, with its target and whether it was met. */
export function fleetTable(r: FleetBenchResult): string {
  const cap = r.capacity;
  const rows: string[][] = [['fleet (PostgreSQL, one server process)', 'figure', 'target', '']];
  rows.push([
    'enrolment over HTTP',
    `${thousands(r.enrolment.agents)} agents in ${r.enrolment.seconds} s (${r.enrolment.perSecond}/s)`,
    '',
    '',
  ]);
  for (const s of cap.steps) {
    rows.push([
      `capacity ${thousands(s.equivalentAgents)}${s.attempt > 1 ? ' (again)' : ''}`,
      `heartbeat p99 ${s.heartbeatMs.p99} ms, ${thousands(s.requestsPerSecond)} req/s, CPU server ` +
        `${s.cpu.serverPercent} % pg ${s.cpu.postgresPercent} % sim ${s.cpu.simPercent} % other ${s.cpu.otherPercent} %`,
      `p99 < ${HEARTBEAT_P99_TARGET_MS} ms, 0 lost`,
      s.passed ? 'ok' : 'failed',
    ]);
  }
  rows.push([
    'capacity sustained',
    `${thousands(cap.sustainedAgents)} agents at 30 s (time-compressed: ${thousands(cap.simulatedAgents)} held polls)`,
    thousands(cap.target),
    verdict(cap.sustainedAgents >= cap.target),
  ]);
  rows.push([
    'agents per server core at the sustained step',
    `${thousands(cap.agentsPerServerCore)} (the server process's CPU from /proc)`,
    thousands(AGENTS_PER_CORE_TARGET),
    verdict(cap.agentsPerServerCore >= AGENTS_PER_CORE_TARGET),
  ]);
  const p = r.propagation.typical;
  rows.push([
    `change → ${thousands(r.propagation.agents)} agents applied, as the server sees it`,
    `p50 ${p.p50} ms, p99 ${p.p99} ms (median of ${r.propagation.changes.length} changes)`,
    `p99 < ${PROPAGATION_P99_TARGET_MS} ms`,
    verdict(p.p99 < PROPAGATION_P99_TARGET_MS),
  ]);
  const second = r.propagation.second.reportedMs;
  rows.push([
    `a second change ${SECOND_CHANGE_AFTER_MS / 1000} s after the first, as the server sees it`,
    `p50 ${second.p50} ms, p99 ${second.p99} ms`,
    `p99 < ${PROPAGATION_P99_TARGET_MS} ms`,
    verdict(second.p99 < PROPAGATION_P99_TARGET_MS),
  ]);
  const { rounds, cpuRatio } = r.fanout;
  for (const side of ['one', 'many'] as const) {
    const worst = rounds.map((round) => round[side]).sort((a, b) => b.latencyMs.p99 - a.latencyMs.p99)[0];
    rows.push([
      `fan-out: heartbeat → agentUpdated, ${worst.dashboards} dashboard(s)`,
      `p99 ${worst.latencyMs.p99} ms (the worst of ${rounds.length} rounds), ${worst.messagesPerSecond} messages/s and ` +
        `${thousands(worst.agentUpdatesPerSecond)} agent updates/s, server CPU ` +
        rounds.map((round) => `${round[side].serverCpuPercent} %`).join(', '),
      `p99 < ${FANOUT_P99_TARGET_MS} ms`,
      verdict(worst.latencyMs.p99 < FANOUT_P99_TARGET_MS),
    ]);
  }
  rows.push([
    `server CPU, ${FANOUT_DASHBOARDS} dashboards vs 1`,
    `${cpuRatio.median.toFixed(2)} × (median of ${rounds.length} interleaved rounds; ${cpuRatio.min.toFixed(2)}–${cpuRatio.max.toFixed(2)})`,
    `≤ ${FANOUT_CPU_RATIO_TARGET} ×`,
    verdict(cpuRatio.median <= FANOUT_CPU_RATIO_TARGET),
  ]);
  rows.push([
    'memory per connected dashboard, after GC',
    // The verdict is on the heap: RSS growth moves by tens of KiB per dashboard between runs of the
    // same code (V8 keeps or returns whole pages), live objects do not.
    `JS heap ${kib(r.dashboards.heapBytesPerDashboard)} (RSS ${kib(r.dashboards.bytesPerDashboard)})`,
    '≤ 16 KiB',
    verdict(r.dashboards.heapBytesPerDashboard <= 16 * 1024),
  ]);
  const { perAgent, bare } = r.serverMemory;
  rows.push([
    'server memory per connected agent (idle fleet, held polls), after GC',
    `RSS ${kib(perAgent.rssBytes)}, JS heap ${kib(perAgent.heapBytes)}; bare node:http holding the ` +
      `same poll: RSS ${kib(bare.rssBytes)}, heap ${kib(bare.heapBytes)}`,
    `≤ ${AGENT_MEMORY_TARGET_BYTES / 1000} KB`,
    verdict(perAgent.rssBytes <= AGENT_MEMORY_TARGET_BYTES),
  ]);
  const a = r.simulator.actions;
  const sustained = cap.steps.filter((s) => s.passed).pop();
  rows.push([
    'action results lost + duplicated',
    `${sustained?.resultsLost ?? 'n/a'} up to the sustained step; whole run incl. overload: ` +
      `${a.lost} lost, ${a.duplicated} duplicated of ${thousands(a.resultsCreated)}`,
    '0',
    verdict(sustained?.resultsLost === 0),
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
