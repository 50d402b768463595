/**
 * `npm run sim -- --server URL --token EBT_… --agents N [options]`: run a simulated fleet against
 * a Flotilla server, print a summary line every few seconds (stderr), and write the JSON report
 * (stdout, or --report FILE). Ctrl-C ends the run early and still writes the report.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../api/protocol/duration.ts';
import { runFleet } from './fleet.ts';
import { checkOptions, defaultOptions, localAddresses, type FleetOptions } from './options.ts';

const USAGE = `usage: npm run sim -- --server URL --token EBT_…[,EBT_…] [options]
  --agents N               virtual agents (100)
  --duration D             run time, enrolment included (60s)
  --heartbeat-interval D   heartbeat interval, ±10 % jitter (30s)
  --poll-mode auto|poll    auto: long-poll when the server offers it; poll: plain polls (auto)
  --poll-interval D        plain poll interval (10s)
  --long-poll S            seconds asked for in ?wait= (50)
  --apply-delay D          time to "apply" a config (0ms)
  --fail-share F           share of agents whose configs fail validation, 0–1 (0)
  --fail-from-version N    the failing share fails only versions N and up (1)
  --fail-upgrade-to V      the failing share fails upgrade_agent to release V (none)
  --upgrade-delay D        time from running to done for upgrade_agent (1s)
  --no-download            do not download the release on upgrade_agent
  --no-telemetry           heartbeats without telemetry
  --processes N            worker processes; 0 = this one (0 up to 15,000 agents)
  --local-addresses A      source addresses: a count (127.0.0.1…N) or a comma list
  --enrol-concurrency N    enrolments in flight per process (50)
  --request-timeout D      per-request timeout (15s)
  --progress D             summary line interval (5s)
  --report FILE            write the JSON report here instead of stdout
Durations: 250ms, 10s, 5m or bare seconds. FLOTILLA_URL and FLOTILLA_SIM_TOKEN fill --server and --token.`;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    agents: { type: 'string' },
    duration: { type: 'string' },
    'heartbeat-interval': { type: 'string' },
    'poll-mode': { type: 'string' },
    'poll-interval': { type: 'string' },
    'long-poll': { type: 'string' },
    'apply-delay': { type: 'string' },
    'fail-share': { type: 'string' },
    'fail-from-version': { type: 'string' },
    'fail-upgrade-to': { type: 'string' },
    'upgrade-delay': { type: 'string' },
    'no-download': { type: 'boolean' },
    'no-telemetry': { type: 'boolean' },
    processes: { type: 'string' },
    'local-addresses': { type: 'string' },
    'enrol-concurrency': { type: 'string' },
    'request-timeout': { type: 'string' },
    progress: { type: 'string' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function duration(flag: string, fallback: number): number {
  const given = values[flag as keyof typeof values];
  if (typeof given !== 'string') return fallback;
  return parseDuration(given) ?? fail(`--${flag}: not a duration: ${given}`);
}

function number(flag: string, fallback: number): number {
  const given = values[flag as keyof typeof values];
  if (typeof given !== 'string') return fallback;
  const n = Number(given);
  return Number.isFinite(n) ? n : fail(`--${flag}: not a number: ${given}`);
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const server = values.server ?? process.env.FLOTILLA_URL ?? fail('--server is required');
const token = values.token ?? process.env.FLOTILLA_SIM_TOKEN ?? fail('--token is required');
const base = defaultOptions(server, token.split(','), number('agents', 100));
const pollMode = values['poll-mode'] ?? base.pollMode;
if (pollMode !== 'auto' && pollMode !== 'poll') fail('--poll-mode must be auto or poll');
const options: FleetOptions = {
  ...base,
  pollMode,
  heartbeatIntervalMs: duration('heartbeat-interval', base.heartbeatIntervalMs),
  pollIntervalMs: duration('poll-interval', base.pollIntervalMs),
  longPollSeconds: number('long-poll', base.longPollSeconds),
  applyDelayMs: duration('apply-delay', base.applyDelayMs),
  failShare: number('fail-share', base.failShare),
  failFromVersion: number('fail-from-version', base.failFromVersion),
  failUpgradeTo: values['fail-upgrade-to'] ?? base.failUpgradeTo,
  upgradeDelayMs: duration('upgrade-delay', base.upgradeDelayMs),
  download: !values['no-download'],
  telemetry: !values['no-telemetry'],
  processes: number('processes', base.processes),
  localAddresses: values['local-addresses'] ? localAddresses(values['local-addresses']) : base.localAddresses,
  enrolConcurrency: number('enrol-concurrency', base.enrolConcurrency),
  requestTimeoutMs: duration('request-timeout', base.requestTimeoutMs),
};
try {
  checkOptions(options);
} catch (error) {
  fail((error as Error).message);
}

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
const report = await runFleet(options, {
  durationMs: duration('duration', 60_000),
  progressEveryMs: duration('progress', 5000),
  onProgress: (line) => process.stderr.write(`${line}\n`),
  signal: interrupted.signal,
});
const json = `${JSON.stringify(report, null, 2)}\n`;
if (values.report) {
  await fs.writeFile(values.report, json);
  process.stderr.write(`report written to ${values.report}\n`);
} else process.stdout.write(json);
const bad = report.actions.lost + report.actions.duplicated;
if (bad > 0) console.error(`${bad} action results lost or duplicated`);
process.exit(bad > 0 ? 1 : 0);
