/**
 * End-to-end fixture: the agent as a real child process with every path in a temp root, the fake
 * vector, and the real test server. The agent is the bundle on node (built with esbuild, like
 * production, once per source state) or the single executable (agent-executable.ts): every
 * end-to-end file runs its scenarios with both (`describe.each(AGENT_KINDS)`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAgent } from '../../agent/build.ts';
import { agentCommand, agentExecutable } from './agent-executable.ts';
import {
  FAKE_VECTOR,
  REPO,
  isAlive,
  killProcessesMentioning,
  oncePerKey,
  readIfExists,
  tempDir,
  waitFor,
} from './helpers.ts';
import type { FakeVectorState } from './vector-harness.ts';

/**
 * Built bundles, one folder per source state and version, shared by every test file (and, locally, by
 * later runs): a build costs a second of wall time on a loaded machine. In the OS temp dir, like the
 * PGlite template.
 */
const BUNDLE_CACHE = path.join(os.tmpdir(), 'flotilla-agent-bundles');
/** What the bundle is built from: the agent imports only api/protocol from api/ (architecture test). */
const BUNDLE_SOURCES = ['agent', 'api', 'package.json', 'package-lock.json', 'tsconfig.json'];
/** Other source states' bundles older than this are removed when a new one is built. */
const STALE_BUNDLE_MS = 24 * 3600_000;

let sourceHash: Promise<string> | undefined;

/** SHA-256 over the paths and bytes of every file the bundle may be built from (generated code excluded). */
async function hashSources(): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const source of BUNDLE_SOURCES) {
    const stat = await fs.stat(path.join(REPO, source));
    if (!stat.isDirectory()) files.push(source);
    else {
      const below = await fs.readdir(path.join(REPO, source), { recursive: true, withFileTypes: true });
      for (const entry of below) {
        const file = path.relative(REPO, path.join(entry.parentPath, entry.name));
        if (entry.isFile() && !file.split(path.sep).includes('generated')) files.push(file);
      }
    }
  }
  for (const file of files.sort()) hash.update(`${file}\0`).update(await fs.readFile(path.join(REPO, file)));
  return hash.digest('hex').slice(0, 16);
}

/** Builds `version`'s bundle into the cache unless there; concurrent builders keep the first rename. */
async function cachedBundle(version: string): Promise<string> {
  const hash = await (sourceHash ??= hashSources());
  const key = `${hash}-${version}`;
  const final = path.join(BUNDLE_CACHE, key);
  const outFile = path.join(final, 'flotilla-agent.mjs');
  const now = new Date();
  // A hit marks the folder used, so another source state's build does not remove it as stale.
  const cached = await fs
    .utimes(final, now, now)
    .then(() => fs.access(outFile))
    .then(
      () => true,
      () => false,
    );
  if (cached) return outFile;
  await fs.mkdir(BUNDLE_CACHE, { recursive: true });
  const building = await fs.mkdtemp(path.join(BUNDLE_CACHE, `.${key}-`));
  await buildAgent({ outFile: path.join(building, 'flotilla-agent.mjs'), version });
  await fs.rename(building, final).catch(() => fs.rm(building, { recursive: true, force: true }));
  await removeStaleBundles(hash);
  return outFile;
}

async function removeStaleBundles(currentHash: string): Promise<void> {
  for (const name of await fs.readdir(BUNDLE_CACHE)) {
    const dir = path.join(BUNDLE_CACHE, name);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat && !name.startsWith(currentHash) && Date.now() - stat.mtimeMs > STALE_BUNDLE_MS) {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}

/** The agent bundle stamped with `version`, built once per source state (see BUNDLE_CACHE). */
export const agentBundle = oncePerKey(cachedBundle);

/** The forms of the agent every end-to-end file runs: the bundle on node and the single executable. */
export const AGENT_KINDS = ['bundle', 'executable'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** The agent of `kind` stamped with `version`: a bundle's or an executable's path. */
export function agentEntry(kind: AgentKind, version: string): Promise<string> {
  return kind === 'executable' ? agentExecutable(version) : agentBundle(version);
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

  /** Runs `<entry> enrol` (bundle or executable); rejects with the agent's stderr when it fails. */
  async enrol(entry: string, apiUrl: string, token: string, extra: string[] = []): Promise<string> {
    const [command, ...args] = agentCommand(entry);
    const { stdout } = await promisify(execFile)(
      command,
      [...args, 'enrol', `--api-url=${apiUrl}`, `--token=${token}`, ...extra, ...this.flags()],
      { env: this.env },
    );
    return stdout;
  }

  /**
   * Starts `<entry> run` (bundle or executable) and collects its JSON log lines; with `launcher`
   * (e.g. the restart-always fixture) the launcher runs the agent command instead.
   */
  start(entry: string, launcher: string[] = []): ChildProcess {
    const command = [...launcher, ...agentCommand(entry), 'run', ...this.flags()];
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

  /**
   * Whether the config applied last is past its reload check: none runs when Vector did not confirm
   * the load in time. Within the check, Vector dying counts against the config (rolled back), not
   * as a crash to restart from.
   */
  reloadCheckOver(): boolean {
    const applied = this.lines.findLastIndex((l) => l.msg === 'config applied');
    if (applied < 0) return false;
    if (this.lines[applied].confirmed === false) return true;
    return this.lines.slice(applied).some((l) => l.msg === 'vector stayed up through the reload check');
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

  /**
   * Puts `entry` (a bundle, flotilla-agent.mjs, or an executable, flotilla-agent: its file name is
   * kept) in `<root>/opt/versions/<version>/` and points `<root>/opt/current` at it.
   */
  async install(version: string, entry: string): Promise<string> {
    const dir = this.path('opt', 'versions', version);
    const name = path.basename(entry);
    await fs.mkdir(dir, { recursive: true });
    await fs.copyFile(entry, path.join(dir, name));
    await fs.rm(this.path('opt', 'current'), { force: true });
    await fs.symlink(`versions/${version}`, this.path('opt', 'current'));
    return this.path('opt', 'current', name);
  }
}
