/** Helpers for `npm run bench`: child servers, wrk runs, process memory. Benchmarks only, never tests. */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/**
 * CPU pinning (taskset) on a machine with two or more cores: the server under test and the bare
 * baseline share core 0, the load generator gets core 1, so they do not fight for the same core.
 * Without taskset (or with one core) commands run unpinned.
 */
export const PIN = { server: '0', load: '1' } as const;
const canPin = os.cpus().length >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `command args` as run pinned to `core` (taskset -c), or as they are when pinning is unavailable. */
export function pinned(core: string, command: string, args: string[]): [string, string[]] {
  return canPin ? ['taskset', ['-c', core, command, ...args]] : [command, args];
}

/** Pin process `pid` and all its threads to `cores` (taskset -a -p -c); does nothing when pinning is unavailable. */
export function pinProcess(pid: number, cores: string): void {
  if (canPin) execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** Every core of this machine, as taskset writes them (`0-1`). */
export const ALL_CORES = `0-${os.cpus().length - 1}`;

/**
 * Let every thread of process `pid` but its main one run on every core again (taskset per thread;
 * does nothing when pinning is unavailable). The fleet benchmarks keep the server's JavaScript on
 * the server core, but not V8's garbage-collection helpers: sharing one core with the event loop,
 * their concurrent marking held it up for 100–300 ms around each major collection, a stall a
 * server on any host with a second core does not have. Their CPU still counts as the server's.
 */
export function unpinHelperThreads(pid: number): void {
  if (!canPin) return;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    try {
      execFileSync('taskset', ['-p', '-c', ALL_CORES, tid], { stdio: 'ignore' });
    } catch {
      // The thread ended meanwhile.
    }
  }
}

/**
 * Pin this process (every thread, and the processes it forks from now on) to `core`; returns a
 * function that lets it run on every core again. Does nothing where pinning is unavailable.
 */
export function pinThisProcess(core: string): () => void {
  pinProcess(process.pid, core);
  return () => pinProcess(process.pid, ALL_CORES);
}

/** Whether this run pins (reported with the figures). */
export const pinning = canPin ? `server and baseline on core ${PIN.server}, wrk on core ${PIN.load}` : 'none';

/** The 1, 5 and 15-minute load averages, rounded to two decimals. */
export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

export interface Running {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Start a child process and resolve once `portFrom(output)` finds its port. */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  portFrom: (out: string) => number | null,
): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    // Generous: on a shared, loaded machine a pinned tsx start can take minutes.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`no port after 240 s:\n${out}`));
    }, 240_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const port = portFrom(out);
      if (port) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve({
          child,
          port,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

/**
 * The arguments `npm start` gives tsx (package.json's start script: the Node flags and the entry
 * point), so the benchmarks run the server as operators do.
 */
export function serverArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'tsx') throw new Error(`npm start runs ${command}, not tsx`);
  return args;
}

/** Start the Flotilla server (as `npm start` does) on a free port, pinned to the server core. */
export function startFlotilla(env: Record<string, string>): Promise<Running> {
  return startProcess(
    ...pinned(PIN.server, TSX, serverArgs()),
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    (out) => {
      const m = /"address":"[^"]*:(\d+)"/.exec(out);
      return m ? Number(m[1]) : null;
    },
  );
}

/** Start the bare node:http baseline, pinned to the server core; `env` adds to its environment. */
export function startBaseline(env: Record<string, string> = {}): Promise<Running> {
  return startProcess(
    ...pinned(PIN.server, process.execPath, ['test/bench/baseline-server.mjs']),
    env,
    (out) => {
      const m = /"port":(\d+)/.exec(out);
      return m ? Number(m[1]) : null;
    },
  );
}

/** Run the admin CLI to completion and return its stdout; throws on a non-zero exit. */
export async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(TSX, ['api/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  return stdout.trim();
}

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Run wrk (Debian's package, pinned to the load core) for `seconds` with a Lua script; throws when wrk is missing. */
export async function wrk(
  url: string,
  script: string,
  env: Record<string, string>,
  seconds = 10,
  connections = 100,
): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url];
  const { stdout } = await promisify(execFile)(...pinned(PIN.load, 'wrk', args), {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 20,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error('wrk is not installed: apt-get install -y wrk');
    throw error;
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0) +
    Number(/Socket errors:.*?timeout (\d+)/.exec(stdout)?.[1] ?? 0);
  return { requestsPerSecond: rps, p50Ms: latency(stdout, '50%'), p99Ms: latency(stdout, '99%'), errors };
}

function latency(out: string, pct: string): number {
  const m = new RegExp(`${pct}\\s+([\\d.]+)(us|ms|s)`).exec(out);
  if (!m) return NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}

/** Resident set size of a process in bytes (Linux /proc); of the node process a tsx launcher runs. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${await leafPid(pid)}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The process doing the work under `pid`: the tsx binary runs node in a child, so follow single children down. */
export async function leafPid(pid: number): Promise<number> {
  for (let current = pid; ;) {
    const children = await fs.readFile(`/proc/${current}/task/${current}/children`, 'utf8').catch(() => '');
    const ids = children.trim().split(/\s+/).filter(Boolean);
    if (ids.length !== 1) return current;
    current = Number(ids[0]);
  }
}
