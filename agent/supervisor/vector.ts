/**
 * Supervises one `vector` process: spawn with `--config <file>` (cwd = the data dir), reload with
 * SIGHUP, stop with SIGTERM → grace → SIGKILL, restart with backoff after an exit it did not ask for
 * (exit code 0 included: Vector exits 0 when a component crashes). Output goes to an OutputLog.
 * The pid file lets `status` report on Vector and lets the next agent reap a Vector left behind
 * by an agent that was killed with SIGKILL.
 */
import type { ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import type { Clock } from '../clock.ts';
import { sleep } from '../clock.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { readFileIfExists, writeFileAtomic } from '../state/atomic-write.ts';
import type { Backoff } from '../transport/backoff.ts';
import type { OutputLog } from './output-log.ts';
import type { ProcessTable } from './processes.ts';

export interface VectorExit {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the supervisor itself stopped the process. */
  expected: boolean;
  uptimeMs: number;
  error?: string;
}

export type VectorEvent = { type: 'started'; pid: number | undefined } | ({ type: 'exited' } & VectorExit);

export interface SupervisorOptions {
  bin: string;
  configFile: string;
  dataDir: string;
  pidFile: string;
  env: NodeJS.ProcessEnv;
  spawn: typeof nodeSpawn;
  fs: AgentFs;
  clock: Clock;
  processes: ProcessTable;
  log: Logger;
  output: OutputLog;
  restartBackoff: Backoff;
  stopGraceMs: number;
  /** A process that ran this long resets the restart backoff. */
  stableAfterMs: number;
  /**
   * How long a new process may take to log "Vector has started." before SIGHUP is sent anyway.
   * Until then SIGHUP would kill it: its signal handlers are not installed yet.
   */
  startupGraceMs: number;
}

const STARTED_LINE = 'Vector has started';
/** What Vector logs once a SIGHUP reload succeeded (see the Vector reference, "Reload outcomes"). */
const RELOADED_LINE = 'Vector has reloaded';
/** Output kept between chunks, so a line split across two chunks is still recognised. */
const LINE_CARRY = 64;

/** How the wait for a config load ended: Vector confirmed it, exited, or neither within the time. */
export type LoadResult = { kind: 'loaded' } | { kind: 'exited'; exit: VectorExit } | { kind: 'timeout' };

interface Running {
  child: ChildProcess;
  generation: number;
  startedAt: number;
  stopping: boolean;
  exited: Promise<VectorExit>;
  /** Resolves once Vector logged that it started. */
  started: Promise<void>;
  /** Resolves once Vector confirmed its newest config: started, or reloaded after the last SIGHUP. */
  loaded: Promise<void>;
  markLoaded: () => void;
}

/** Owns the one Vector process of this agent. */
export class VectorSupervisor {
  private current: Running | null = null;
  private wanted = false;
  private generation = 0;
  private restartTimer: unknown = null;
  private lastExit: { generation: number; exit: VectorExit } | null = null;
  private readonly listeners = new Set<(event: VectorEvent) => void>();

  constructor(private readonly o: SupervisorOptions) {}

  /** Subscribes to started/exited events; returns the unsubscribe function. */
  onEvent(listener: (event: VectorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while a Vector process runs and is not being stopped. */
  get running(): boolean {
    return this.current !== null && !this.current.stopping;
  }

  /** Pid of the running Vector, if any. */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** Number of the most recent spawn; pass it to waitForExit() right after start() or reload(). */
  get generationId(): number {
    return this.generation;
  }

  /** Seconds the current process has been running; 0 when none is. */
  uptimeSeconds(): number {
    return this.current ? Math.max(0, (this.o.clock.now() - this.current.startedAt) / 1000) : 0;
  }

  /** The last lines Vector printed (for error reports). */
  tail(): string[] {
    return this.o.output.tail();
  }

  /**
   * Starts Vector if it is not running and keeps it running from now on. Resolves once spawned;
   * a spawn failure (missing binary) is logged and retried with backoff like a crash.
   */
  async start(): Promise<void> {
    this.wanted = true;
    this.cancelRestart();
    if (this.current) return;
    await this.spawnOnce();
  }

  /**
   * Sends SIGHUP so Vector re-reads its config, first waiting (up to startupGraceMs from its spawn)
   * for a freshly started process to be ready for it. Resolves false when no process is running.
   */
  async reload(): Promise<boolean> {
    const run = this.current;
    if (!run || run.stopping) return false;
    const left = this.o.startupGraceMs - (this.o.clock.now() - run.startedAt);
    if (left > 0) await Promise.race([run.started, run.exited, sleep(this.o.clock, left)]);
    if (this.current !== run || run.stopping) return false;
    run.loaded = new Promise<void>((resolve) => (run.markLoaded = resolve));
    return run.child.kill('SIGHUP');
  }

  /**
   * Waits up to `ms` for the process of `generation` to confirm its newest config: "Vector has
   * started." after start(), "Vector has reloaded." after reload(). Resolves early when it exits
   * instead. Call right after start() or reload(). Never rejects.
   */
  async waitForLoad(generation: number, ms: number): Promise<LoadResult> {
    if (this.lastExit?.generation === generation) return { kind: 'exited', exit: this.lastExit.exit };
    const run = this.current;
    if (!run || run.generation !== generation) return { kind: 'timeout' };
    return Promise.race([
      run.loaded.then((): LoadResult => ({ kind: 'loaded' })),
      run.exited.then((exit): LoadResult => ({ kind: 'exited', exit })),
      sleep(this.o.clock, ms).then((): LoadResult => ({ kind: 'timeout' })),
    ]);
  }

  /**
   * Stops Vector and keeps it stopped: SIGTERM, then SIGKILL after the grace period. Resolves when
   * the process has exited (or at once if none runs). Never rejects.
   */
  async stop(): Promise<void> {
    this.wanted = false;
    this.cancelRestart();
    const run = this.current;
    if (!run) return;
    run.stopping = true;
    run.child.kill('SIGTERM');
    const exited = await Promise.race([run.exited, sleep(this.o.clock, this.o.stopGraceMs).then(() => null)]);
    if (exited) return;
    this.o.log.warn('vector did not stop in time, sending SIGKILL', {
      pid: run.child.pid,
      graceMs: this.o.stopGraceMs,
    });
    run.child.kill('SIGKILL');
    await run.exited;
  }

  /**
   * Waits up to `ms` for the process of `generation` to exit. Resolves with its exit, or null if it
   * is still running after `ms` (or was never that generation). Never rejects.
   */
  async waitForExit(generation: number, ms: number): Promise<VectorExit | null> {
    if (this.lastExit?.generation === generation) return this.lastExit.exit;
    const run = this.current;
    if (!run || run.generation !== generation) return null;
    return Promise.race([run.exited, sleep(this.o.clock, ms).then(() => null)]);
  }

  /**
   * Stops a Vector recorded in the pid file by an earlier agent process (one killed with SIGKILL
   * leaves its Vector behind). Only a process whose command line names our config file is touched.
   * Call once at start-up, before start(). Never rejects.
   */
  async reapStale(): Promise<void> {
    let pid: number | undefined;
    try {
      const text = await readFileIfExists(this.o.fs, this.o.pidFile);
      pid = text ? Number(JSON.parse(text).pid) : undefined;
    } catch {
      pid = undefined;
    }
    if (!pid || !Number.isInteger(pid) || !this.o.processes.isAlive(pid)) return;
    const cmd = await this.o.processes.commandLine(pid);
    if (!cmd?.includes(this.o.configFile)) return;
    this.o.log.warn('stopping a vector left behind by a previous agent', { pid });
    this.o.processes.kill(pid, 'SIGTERM');
    const deadline = this.o.clock.now() + this.o.stopGraceMs;
    while (this.o.processes.isAlive(pid) && this.o.clock.now() < deadline) await sleep(this.o.clock, 50);
    if (this.o.processes.isAlive(pid)) this.o.processes.kill(pid, 'SIGKILL');
  }

  private async spawnOnce(): Promise<void> {
    const generation = ++this.generation;
    const startedAt = this.o.clock.now();
    let child: ChildProcess;
    let resolveExit!: (exit: VectorExit) => void;
    const exited = new Promise<VectorExit>((resolve) => (resolveExit = resolve));
    try {
      child = this.o.spawn(this.o.bin, ['--config', this.o.configFile], {
        cwd: this.o.dataDir,
        env: this.o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const exit: VectorExit = { pid: undefined, code: null, signal: null, expected: false, uptimeMs: 0 };
      this.lastExit = { generation, exit: { ...exit, error: errorMessage(error) } };
      this.handleExit(this.lastExit.exit);
      return;
    }
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const run: Running = {
      child,
      generation,
      startedAt,
      stopping: false,
      exited,
      started,
      loaded: started,
      markLoaded: () => undefined,
    };
    this.current = run;
    let carry = '';
    let seen = false;
    const onOutput = (chunk: Buffer): void => {
      this.o.output.write(chunk);
      const text = carry + chunk.toString('utf8');
      // Only a line that ends in this chunk counts (the carried text was searched before).
      const from = Math.max(0, carry.length - RELOADED_LINE.length + 1);
      carry = text.slice(-LINE_CARRY);
      if (!seen && text.includes(STARTED_LINE)) {
        seen = true;
        markStarted();
      }
      if (text.indexOf(RELOADED_LINE, from) !== -1) run.markLoaded();
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: string): void => {
      if (settled) return;
      settled = true;
      const exit: VectorExit = {
        pid: child.pid,
        code,
        signal,
        expected: run.stopping,
        uptimeMs: this.o.clock.now() - startedAt,
        error,
      };
      if (this.current === run) this.current = null;
      this.lastExit = { generation, exit };
      resolveExit(exit);
      void this.o.fs.rm(this.o.pidFile, { force: true }).catch(() => undefined);
      this.handleExit(exit);
    };
    child.once('error', (error) => finish(null, null, errorMessage(error)));
    child.once('exit', (code, signal) => finish(code, signal));
    if (child.pid !== undefined) {
      this.o.log.info('vector started', { pid: child.pid, config: this.o.configFile });
      this.emit({ type: 'started', pid: child.pid });
      await writeFileAtomic(
        this.o.fs,
        this.o.pidFile,
        JSON.stringify({
          pid: child.pid,
          startedAt: new Date(startedAt).toISOString(),
          config: this.o.configFile,
        }),
      ).catch((error) => this.o.log.warn('cannot write the vector pid file', { error }));
    }
  }

  private handleExit(exit: VectorExit): void {
    if (exit.expected)
      this.o.log.info('vector stopped', { pid: exit.pid, code: exit.code, signal: exit.signal });
    else this.o.log.warn('vector exited unexpectedly', { ...exit, tail: this.tail().slice(-5) });
    this.emit({ type: 'exited', ...exit });
    if (exit.expected || !this.wanted) return;
    if (exit.uptimeMs >= this.o.stableAfterMs) this.o.restartBackoff.reset();
    const delay = this.o.restartBackoff.next();
    this.o.log.info('restarting vector', { inMs: delay, attempt: this.o.restartBackoff.attempts });
    this.restartTimer = this.o.clock.setTimeout(() => {
      this.restartTimer = null;
      if (this.wanted && !this.current) void this.spawnOnce();
    }, delay);
  }

  private cancelRestart(): void {
    if (this.restartTimer === null) return;
    this.o.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private emit(event: VectorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.o.log.error('vector event listener failed', { error });
      }
    }
  }
}
