/**
 * Runs the `vector` CLI for one-shot questions: `vector validate` on a candidate config (exit 0 =
 * valid, 78 = invalid, anything else = could not validate) and `vector --version`.
 */
import type { spawn as nodeSpawn } from 'node:child_process';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../log.ts';
import { toStorableText } from '../../api/protocol/storable.ts';

export interface VectorCli {
  bin: string;
  spawn: typeof nodeSpawn;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs: number;
}

export type ValidateResult = { ok: true } | { ok: false; exitCode: number | null; message: string };

const MAX_MESSAGE = 4000;

/**
 * Validates `file` with `vector validate --skip-healthchecks <file>`: the config is loaded and every
 * component is built (data_dir, TLS files…), but sinks are not contacted, so a sink that is down
 * for a moment does not block a config. Resolves `ok: false` with Vector's own error lines for an
 * invalid config, and also when validate cannot run at all (missing binary, timeout) — a config
 * that was not validated is never applied. Never rejects.
 */
export async function validateConfig(cli: VectorCli, file: string): Promise<ValidateResult> {
  const run = await runVector(cli, VALIDATE_ARGS(file));
  if (run.code === 0) return { ok: true };
  const lines = run.output.split('\n').map((line) => line.trimEnd());
  const errors = lines.filter((line) => /^\s*x\s/.test(line) || /^Failed to load/.test(line));
  const detail = (errors.length > 0 ? errors : lines.filter((line) => line.trim() !== '')).join('\n');
  const prefix = run.error
    ? `vector validate could not run: ${run.error}`
    : `vector validate exited with code ${run.code ?? run.signal}`;
  const message = detail ? `${prefix}\n${detail}` : prefix;
  return { ok: false, exitCode: run.code, message: toStorableText(message, MAX_MESSAGE) };
}

const VALIDATE_ARGS = (file: string) => ['validate', '--skip-healthchecks', file];

/** Everything `vector validate` said about a file: its exit code (null: it could not run) and output. */
export interface ValidateReport {
  exitCode: number | null;
  /** What Vector printed (stdout and stderr), or why it could not run; at most `maxChars`. */
  output: string;
}

/**
 * Runs the same `vector validate` as validateConfig on `file` and returns its whole output, bounded
 * to `maxChars` storable characters (the tail is kept: Vector prints its verdict last). Never rejects.
 */
export async function validateReport(
  cli: VectorCli,
  file: string,
  maxChars: number,
): Promise<ValidateReport> {
  const run = await runVector(cli, VALIDATE_ARGS(file));
  const text = run.error ? `vector validate could not run: ${run.error}\n${run.output}` : run.output;
  const tail = text.length > maxChars ? text.slice(text.length - maxChars) : text;
  return { exitCode: run.error ? null : run.code, output: toStorableText(tail, maxChars) };
}

/**
 * Reads the Vector version from `vector --version` (`vector 0.40.1 (x86_64-… …)`). Resolves ''
 * when Vector is missing or prints something else; never rejects.
 */
export async function readVectorVersion(cli: VectorCli): Promise<string> {
  const run = await runVector(cli, ['--version']);
  const match = /^vector (\S+)/m.exec(run.output);
  return run.code === 0 && match ? toStorableText(match[1], 64) : '';
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  error?: string;
}

function runVector(cli: VectorCli, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const finish = (result: Omit<RunResult, 'output'>): void => {
      if (settled) return;
      settled = true;
      cli.clock.clearTimeout(timer);
      resolve({ ...result, output });
    };
    let child: ReturnType<typeof nodeSpawn>;
    try {
      child = cli.spawn(cli.bin, args, { cwd: cli.cwd, env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, signal: null, output: '', error: errorMessage(error) });
      return;
    }
    const collect = (chunk: Buffer): void => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = cli.clock.setTimeout(() => {
      child.kill('SIGKILL');
      finish({ code: null, signal: 'SIGKILL', error: `timed out after ${cli.timeoutMs} ms` });
    }, cli.timeoutMs);
    child.once('error', (error) => finish({ code: null, signal: null, error: errorMessage(error) }));
    child.once('close', (code, signal) => finish({ code, signal }));
  });
}
