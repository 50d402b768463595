/**
 * A real VectorSupervisor (+ Applier) over the fake vector CLI in a temp directory, for the
 * supervisor and apply tests. `vectorState()` reads the fake's state.json, `events()` its events.
 */
import { spawn } from 'node:child_process';
import * as syncFs from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Applier } from '../../agent/apply/apply.ts';
import { createSystemClock, type Clock } from '../../agent/clock.ts';
import { OutputLog } from '../../agent/supervisor/output-log.ts';
import { createProcessTable } from '../../agent/supervisor/processes.ts';
import { validateConfig } from '../../agent/supervisor/validate.ts';
import { VectorSupervisor, type VectorEvent } from '../../agent/supervisor/vector.ts';
import { createBackoff } from '../../agent/transport/backoff.ts';
import { FAKE_VECTOR, memoryLogger, readIfExists, tempDir } from './helpers.ts';

export interface FakeVectorState {
  pid: number;
  startedAt: string;
  reloads: number;
  configPath: string;
  configSha256: string;
  components: unknown;
}

export interface HarnessOptions {
  bin?: string;
  stopGraceMs?: number;
  reloadCheckMs?: number;
  maxBytes?: number;
  keep?: number;
  env?: NodeJS.ProcessEnv;
  /** Default: the system clock. */
  clock?: Clock;
}

/** Builds the harness; call `dispose()` in afterEach (stops Vector, removes the directory). */
export async function vectorHarness(options: HarnessOptions = {}) {
  const dir = await tempDir();
  const fakeDir = path.join(dir, 'fake');
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'vector.yaml');
  const clock = options.clock ?? createSystemClock();
  const { log, records } = memoryLogger();
  const env = { ...process.env, FAKE_VECTOR_STATE_DIR: fakeDir, ...options.env };
  const output = new OutputLog({
    fs: syncFs,
    file: path.join(dir, 'vector.log'),
    maxBytes: options.maxBytes ?? 1024 * 1024,
    keep: options.keep ?? 2,
  });
  const supervisor = new VectorSupervisor({
    bin: options.bin ?? FAKE_VECTOR,
    configFile,
    dataDir,
    pidFile: path.join(dir, 'vector.pid'),
    env,
    spawn,
    fs,
    clock,
    processes: createProcessTable(fs.readFile),
    log,
    output,
    restartBackoff: createBackoff({ initialMs: 50, maxMs: 400 }, Math.random),
    stopGraceMs: options.stopGraceMs ?? 5_000,
    stableAfterMs: 10_000,
    startupGraceMs: 5_000,
  });
  const events: VectorEvent[] = [];
  supervisor.onEvent((e) => events.push(e));
  const vectorCli = { bin: options.bin ?? FAKE_VECTOR, spawn, clock, env, cwd: dir, timeoutMs: 20_000 };
  const applier = new Applier({
    fs,
    configFile,
    candidateFile: path.join(dir, 'vector.candidate.yaml'),
    appliedCopyFile: path.join(dir, 'vector.applied.yaml'),
    dataDir,
    validate: (file) => validateConfig(vectorCli, file),
    supervisor,
    reloadCheckMs: options.reloadCheckMs ?? 600,
    log,
  });
  await fs.mkdir(dataDir, { recursive: true });
  return {
    dir,
    fakeDir,
    dataDir,
    configFile,
    supervisor,
    applier,
    vectorCli,
    output,
    events,
    records,
    async vectorState(): Promise<FakeVectorState | undefined> {
      const text = await readIfExists(path.join(fakeDir, 'state.json'));
      return text ? (JSON.parse(text) as FakeVectorState) : undefined;
    },
    async fakeEvents(): Promise<{ event: string; pid: number }[]> {
      const text = (await readIfExists(path.join(fakeDir, 'events.jsonl'))) ?? '';
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { event: string; pid: number });
    },
    async crashVector(): Promise<void> {
      await fs.writeFile(path.join(fakeDir, 'crash'), '');
    },
    async dispose(): Promise<void> {
      await supervisor.stop();
      output.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A config the fake vector accepts; `marker` lands in a comment (e.g. FAKE_VECTOR_INVALID). */
export function pipeline(name: string, marker = ''): string {
  return [
    `# ${name} ${marker}`.trimEnd(),
    'sources:',
    `  ${name}:`,
    '    type: demo_logs',
    '    format: json',
    'sinks:',
    '  out:',
    '    type: console',
    `    inputs: [${name}]`,
    '    encoding:',
    '      codec: json',
    '',
  ].join('\n');
}
