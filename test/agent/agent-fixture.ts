/**
 * End-to-end fixture: the bundled agent (built with esbuild into a temp dir, like production) as a
 * real child process with every path in a temp root, the fake vector, and the real test server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAgent } from '../../agent/build.ts';
import { FAKE_VECTOR, isAlive, killProcessesMentioning, readIfExists, tempDir, waitFor } from './helpers.ts';
import type { FakeVectorState } from './vector-harness.ts';

const bundles = new Map<string, Promise<string>>();

/** Removes the bundles built by this test file; call in afterAll. */
export async function removeBundles(): Promise<void> {
  const built = await Promise.all([...bundles.values()].map((b) => b.catch(() => undefined)));
  bundles.clear();
  await Promise.all(built.map((file) => file && fs.rm(path.dirname(file), { recursive: true, force: true })));
}

/** Builds (once per test file and version) the agent bundle stamped with `version`. */
export function agentBundle(version: string): Promise<string> {
  let built = bundles.get(version);
  if (!built) {
    built = tempDir('flotilla-bundle-').then(async (dir) => {
      const outFile = path.join(dir, 'flotilla-agent.mjs');
      await buildAgent({ outFile, version });
      return outFile;
    });
    bundles.set(version, built);
  }
  return built;
}

/** Fast intervals so every agent test finishes in seconds. */
export const FAST_FLAGS = [
  '--poll-interval=200ms',
  '--heartbeat-interval=1s',
  '--request-timeout=3s',
  '--backoff-initial=100ms',
  '--backoff-max=800ms',
  '--vector-restart-initial=100ms',
  '--vector-restart-max=1s',
  '--reload-check=500ms',
  '--vector-stop-grace=3s',
  '--upgrade-timeout=8s',
  '--service-manager=none',
  '--log-level=debug',
  // No metrics exporter unless a test asks for one: parallel agents would all want the same port.
  '--metrics-port=0',
];

export interface AgentHostOptions {
  vectorBin?: string;
  extraFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

/** One simulated host: a temp root holding the agent's etc/state/log/install directories. */
export class AgentHost {
  readonly lines: Record<string, unknown>[] = [];
  process: ChildProcess | null = null;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    readonly root: string,
    private readonly options: AgentHostOptions,
  ) {
    this.env = { ...process.env, FAKE_VECTOR_STATE_DIR: this.path('fake'), ...options.env };
  }

  static async create(options: AgentHostOptions = {}): Promise<AgentHost> {
    return new AgentHost(await tempDir('flotilla-host-'), options);
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** The command-line options for this host's paths plus the fast intervals. */
  flags(): string[] {
    return [
      `--config-dir=${this.path('etc')}`,
      `--state-dir=${this.path('state')}`,
      `--log-dir=${this.path('log')}`,
      `--install-dir=${this.path('opt')}`,
      `--vector-bin=${this.options.vectorBin ?? FAKE_VECTOR}`,
      ...FAST_FLAGS,
      ...(this.options.extraFlags ?? []),
    ];
  }

  /** Runs `<bundle> enrol`; rejects with the agent's stderr when it fails. */
  async enrol(bundle: string, apiUrl: string, token: string, extra: string[] = []): Promise<string> {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bundle, 'enrol', `--api-url=${apiUrl}`, `--token=${token}`, ...extra, ...this.flags()],
      { env: this.env },
    );
    return stdout;
  }

  /**
   * Starts `<entry> run` and collects its JSON log lines; with `launcher` (e.g. the restart-always
   * fixture) the launcher runs the agent command instead.
   */
  start(entry: string, launcher: string[] = []): ChildProcess {
    const command = [...launcher, process.execPath, entry, 'run', ...this.flags()];
    const child = spawn(command[0], command.slice(1), {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        if (process.env.AGENT_TEST_LOG) process.stderr.write(`${line}\n`);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) =>
      this.lines.push({ msg: chunk.toString('utf8'), stderr: true }),
    );
    this.process = child;
    return child;
  }

  /** Sends SIGTERM and resolves the exit code. */
  async stop(): Promise<number | null> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  /** Kills the agent with SIGKILL (Vector, its child, is left running as after a real crash). */
  async kill9(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  logged(msg: string): boolean {
    return this.lines.some((l) => typeof l.msg === 'string' && l.msg.includes(msg));
  }

  async vectorState(): Promise<FakeVectorState | undefined> {
    const text = await readIfExists(this.path('fake', 'state.json'));
    return text ? (JSON.parse(text) as FakeVectorState) : undefined;
  }

  /** The fake vector's state once a live process wrote it (optionally: not `notPid`). */
  runningVector(notPid?: number): Promise<FakeVectorState> {
    return waitFor('a running vector', async () => {
      const s = await this.vectorState();
      return s && isAlive(s.pid) && s.pid !== notPid ? s : undefined;
    });
  }

  async pidFile(name: 'agent.pid' | 'vector.pid'): Promise<number | undefined> {
    const text = await readIfExists(this.path('state', name));
    return text ? (JSON.parse(text) as { pid: number }).pid : undefined;
  }

  /** Stops every process this host may have left (agent, watcher-started agents, vector), removes the root. */
  async dispose(): Promise<void> {
    await this.stop();
    for (const pid of [
      await this.pidFile('agent.pid'),
      await this.pidFile('vector.pid'),
      (await this.vectorState())?.pid,
    ]) {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await killProcessesMentioning(this.root);
    await fs.rm(this.root, { recursive: true, force: true });
  }

  /** Puts `bundle` in `<root>/opt/versions/<version>/` and points `<root>/opt/current` at it. */
  async install(version: string, bundle: string): Promise<string> {
    const dir = this.path('opt', 'versions', version);
    await fs.mkdir(dir, { recursive: true });
    await fs.copyFile(bundle, path.join(dir, 'flotilla-agent.mjs'));
    await fs.rm(this.path('opt', 'current'), { force: true });
    await fs.symlink(`versions/${version}`, this.path('opt', 'current'));
    return this.path('opt', 'current', 'flotilla-agent.mjs');
  }
}
