/**
 * The simulator as a library. `startFleet(options)` enrols and runs N virtual agents (in this
 * process, or split over worker processes) and returns a handle: a driver (a benchmark, a test)
 * reads live snapshots, tells the fleet when it published a config version (`markChange`, so
 * propagation is measured from the change itself), changes intervals while it runs, and stops it
 * for the report. `runFleet(options)` is the CLI's shape: run for a while, then report.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkOptions, type FleetOptions, type Tuning } from './options.ts';
import { buildReport, mergeSnapshots, progressLine, type FleetReport, type FleetSnapshot } from './report.ts';
import { Shard, type ShardFinal, type ShardSnapshot } from './shard.ts';
import type { FromWorker, ToWorker } from './worker.ts';

export interface Fleet {
  readonly options: FleetOptions;
  /** Figures so far, all processes added up (a worker's part is at most 250 ms old). */
  snapshot(): FleetSnapshot;
  /** The driver published `version` at `atMs` (epoch ms): propagation of it is measured from then. */
  markChange(version: number, atMs: number): void;
  /** Change intervals or delays of every agent; a new heartbeat interval re-spreads the beats. */
  retune(change: Partial<Tuning>): void;
  /** Resolve the first snapshot for which `done` holds; reject after `timeoutMs`. */
  waitFor(done: (s: FleetSnapshot) => boolean, timeoutMs: number): Promise<FleetSnapshot>;
  /** Stop every agent (each first reports what it still holds) and build the report; idempotent. */
  stop(): Promise<FleetReport>;
}

interface ShardLink {
  snapshot(): ShardSnapshot | undefined;
  retune(change: Partial<Tuning>): void;
  finish(): Promise<ShardFinal>;
}

const SAMPLE_MS = 250;

/** Start a fleet. Enrolment runs in the background; wait for it with `waitFor`. Throws on bad options. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  checkOptions(options);
  const startedAt = Date.now();
  const parts = options.processes === 0 ? 1 : Math.min(options.processes, options.agents);
  const links: ShardLink[] = [];
  for (let i = 0, first = 0; i < parts; i++) {
    const count = Math.floor(options.agents / parts) + (i < options.agents % parts ? 1 : 0);
    links.push(
      options.processes === 0 ? localShard(options, first, count) : await workerShard(options, first, count),
    );
    first += count;
  }
  const changes = new Map<number, number>();
  const peaks = { peakHeldPolls: 0, peakOpenSockets: 0 };
  const snapshot = (): FleetSnapshot => {
    const snap = mergeSnapshots(links.map((l) => l.snapshot()).filter((s) => s !== undefined));
    peaks.peakHeldPolls = Math.max(peaks.peakHeldPolls, snap.requests.inFlight['config-wait'] ?? 0);
    peaks.peakOpenSockets = Math.max(peaks.peakOpenSockets, snap.openSockets);
    return snap;
  };
  const sampler = setInterval(snapshot, SAMPLE_MS);
  let stopping: Promise<FleetReport> | undefined;
  return {
    options,
    snapshot,
    markChange: (version, atMs) => void changes.set(version, atMs),
    retune: (change) => links.forEach((l) => l.retune(change)),
    waitFor: (done, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const snap = snapshot();
          if (done(snap)) return resolve(snap);
          if (Date.now() > deadline)
            return reject(
              new Error(
                `fleet condition not met within ${timeoutMs} ms: ${JSON.stringify({ actions: snap.actions, heartbeats: snap.heartbeats, agents: snap.agents })}`,
              ),
            );
          setTimeout(check, 50);
        };
        check();
      }),
    stop() {
      stopping ??= (async () => {
        clearInterval(sampler);
        snapshot();
        const finals = await Promise.all(links.map((l) => l.finish()));
        return buildReport({ options, startedAt, finals, changes, peaks });
      })();
      return stopping;
    },
  };
}

export interface RunOptions {
  durationMs: number;
  /** Called with a summary line every `progressEveryMs` (default 5 s). */
  onProgress?: (line: string) => void;
  progressEveryMs?: number;
  /** Ends the run early (e.g. on SIGINT); the report still comes. */
  signal?: AbortSignal;
}

/** Run a fleet for `durationMs` (from the start, enrolment included) and resolve its report. */
export async function runFleet(options: FleetOptions, run: RunOptions): Promise<FleetReport> {
  const fleet = await startFleet(options);
  const startedAt = Date.now();
  let prev = fleet.snapshot();
  const ticker = setInterval(() => {
    const cur = fleet.snapshot();
    run.onProgress?.(progressLine(prev, cur, startedAt));
    prev = cur;
  }, run.progressEveryMs ?? 5000);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, run.durationMs);
    run.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
  clearInterval(ticker);
  return fleet.stop();
}

function localShard(options: FleetOptions, first: number, count: number): ShardLink {
  const shard = new Shard(options, first, count);
  shard.start();
  return { snapshot: () => shard.snapshot(), retune: (c) => shard.retune(c), finish: () => shard.finish() };
}

/** Fork a worker running one shard; resolves once it sent its first snapshot. */
function workerShard(options: FleetOptions, first: number, count: number): Promise<ShardLink> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child: ChildProcess = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], {
    // A larger young generation: the transport allocates per request, and scavenges add up.
    execArgv: ['--max-semi-space-size=32', '--import', tsx],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (message: ToWorker) => child.send(message);
  let latest: ShardSnapshot | undefined;
  let finalResult: ((f: ShardFinal) => void) | undefined;
  let failure: ((e: Error) => void) | undefined;
  return new Promise((resolve, reject) => {
    failure = reject;
    child.on('message', (message: FromWorker) => {
      if (message.type === 'snapshot') {
        if (!latest) resolve(link);
        latest = message.snapshot;
      } else if (message.type === 'final') finalResult?.(message.final);
      else failure?.(new Error(`simulator worker failed: ${message.message}`));
    });
    child.once('exit', (code) => failure?.(new Error(`simulator worker exited with ${code}`)));
    const link: ShardLink = {
      snapshot: () => latest,
      retune: (change) => send({ type: 'retune', change }),
      finish: () =>
        new Promise((done, fail) => {
          finalResult = done;
          failure = fail;
          send({ type: 'finish' });
        }),
    };
    send({ type: 'start', options, first, count });
  });
}
