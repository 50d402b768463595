/**
 * Shared harness for the stand-in `vector` CLI tests: run it in a sandbox directory, build small
 * configs, read its state and events, and poll for outcomes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { runInProcess } from '../helpers/fake-vector/in-process.mjs';
import { FAKE_VECTOR, readIfExists, tempDir, waitFor } from './helpers.ts';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Vector {
  child: ChildProcess;
  exited: Promise<Finished>;
  stderr(): string;
}

export interface FakeState {
  pid: number;
  startedAt: string;
  reloads: number;
  configPath: string;
  configSha256: string;
  components: string[];
}

export interface FakeEvent {
  event: string;
  pid: number;
  reason?: string;
  signal?: string;
  exitCode?: number;
  reloads?: number;
  errors?: string[];
}

/** A temp directory, the fake vectors started in it, and readers for the fake's state dir. */
export class Sandbox {
  private readonly started: Vector[] = [];

  constructor(readonly dir: string) {}

  get stateDir(): string {
    return path.join(this.dir, 'fake-state');
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async write(name: string, text: string): Promise<string> {
    await fs.writeFile(this.file(name), text);
    return this.file(name);
  }

  /** Runs the fake to completion (cwd = the sandbox). */
  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
    return this.launch(args, env).exited;
  }

  /**
   * Runs a one-shot command (validate, --version, a usage error) inside this process, with the same
   * environment and working directory as `run`: for the rule tests, where a process per config is
   * only cost. The process contract (exit codes, streams) is fake-vector-cli.test.ts's.
   */
  runInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
    const result = runInProcess(args, { env: childEnv(env), cwd: this.dir });
    return Promise.resolve({ ...result, signal: null });
  }

  /** Starts the fake in run mode with FAKE_VECTOR_STATE_DIR set and waits for its `started` event. */
  async start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Vector> {
    const vector = this.launch(args, { FAKE_VECTOR_STATE_DIR: this.stateDir, ...env });
    this.started.push(vector);
    await this.untilEvent(vector, (event) => event.event === 'started' && event.pid === vector.child.pid);
    return vector;
  }

  async state(): Promise<FakeState | undefined> {
    const text = await readIfExists(path.join(this.stateDir, 'state.json'));
    return text ? (JSON.parse(text) as FakeState) : undefined;
  }

  async events(): Promise<FakeEvent[]> {
    const text = (await readIfExists(path.join(this.stateDir, 'events.jsonl'))) ?? '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeEvent);
  }

  /** Polls events.jsonl for a matching event; fails at once if the process exits first. */
  async untilEvent(vector: Vector, match: (event: FakeEvent) => boolean): Promise<FakeEvent> {
    const found = await waitFor('a fake vector event', async () => {
      const event = (await this.events()).find(match);
      if (event) return event;
      return vector.child.exitCode !== null || vector.child.signalCode !== null ? 'exited' : undefined;
    });
    if (found === 'exited') {
      throw new Error(`vector exited with ${vector.child.exitCode} first:\n${vector.stderr()}`);
    }
    return found;
  }

  async close(): Promise<void> {
    for (const vector of this.started) {
      if (vector.child.exitCode === null && vector.child.signalCode === null) vector.child.kill('SIGKILL');
    }
    await Promise.all(this.started.map((vector) => vector.exited));
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private launch(args: string[], env: NodeJS.ProcessEnv): Vector {
    const child = spawn(FAKE_VECTOR, args, {
      cwd: this.dir,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<Finished>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, exited, stderr: () => stderr };
  }
}

/** This process's environment without its Vector settings, plus `env`. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !/^(FAKE_)?VECTOR_/.test(key));
  return { ...Object.fromEntries(inherited), ...env };
}

// Each test starts several processes; generous on a loaded machine (the repo config allows 30 s).
export const SUITE = { timeout: 20_000 };

export async function inSandbox(body: (box: Sandbox) => Promise<void>): Promise<void> {
  const box = new Sandbox(await tempDir('fake-vector-'));
  try {
    await body(box);
  } finally {
    await box.close();
  }
}

export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
export const demo = (id: string): string => `  ${id}: {type: demo_logs, format: json}`;
export const remap = (id: string, inputs: string[]): string =>
  `  ${id}: {type: remap, inputs: ${JSON.stringify(inputs)}, source: "."}`;
export const consoleSink = (id: string, inputs: string[]): string =>
  `  ${id}: {type: console, inputs: ${JSON.stringify(inputs)}, encoding: {codec: json}}`;

/** demo_logs → remap → console, with its data_dir. */
export function pipeline(dataDir: string, comment = ''): string {
  return yaml(
    `# ${comment}`,
    `data_dir: ${dataDir}`,
    'sources:',
    demo('in'),
    'transforms:',
    remap('parse', ['in']),
    'sinks:',
    consoleSink('out', ['parse']),
  );
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
