/**
 * Run the server as a real child process against a test database, and the admin CLI in-process
 * (runCli with its streams injected) or, for the smoke test, as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestDb } from './db.ts';
import { runCli as runCliInProcess } from '../../api/cli/main.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface ProcessDb {
  /** Environment that points a child process at the database. */
  env: Record<string, string>;
  /** Remove the database. */
  destroy(): Promise<void>;
}

/**
 * Hand a fresh test database over to child processes: PostgreSQL by URL; PGlite by closing it
 * here (one process at a time) and moving it to `<FLOTILLA_DATA_DIR>/pglite`, where the server looks.
 */
export async function handOver(testDb: TestDb): Promise<ProcessDb> {
  if (testDb.config.kind === 'postgres')
    return { env: { DATABASE_URL: testDb.config.url }, destroy: () => testDb.destroy() };
  await testDb.db.close();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-proc-'));
  await fs.rename(testDb.config.dataDir, path.join(dataDir, 'pglite'));
  return {
    env: { FLOTILLA_DATA_DIR: dataDir },
    destroy: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the admin CLI in this process with `env` as its environment and `stdin` piped in. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCliInProcess(args, {
    stdin: Readable.from(stdin ? [Buffer.from(stdin)] : []),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  return { code, stdout, stderr };
}

/** Run `npm run flotilla -- <args>` as a child process (tsx api/cli/main.ts) to completion. */
export function spawnCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['api/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** The pid of the one process tsx (`child`) runs the server in (Linux: /proc lists a task's children). */
function serverPid(child: ChildProcess): number {
  const pid = child.pid as number;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  if (children.length !== 1 || !children[0]) throw new Error(`tsx ${pid} runs ${children.length} processes`);
  return Number(children[0]);
}

/** Wraps a command before it is spawned, e.g. in `taskset -c 0` (which execs it, keeping the pid). */
export type Launch = (command: string, args: string[]) => [string, string[]];

/** A server started by startServerProcess. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  pid: number;
  logs: () => string;
}

/**
 * Start `tsx api/main.ts` with `env` (through `launch` when given); resolves once it logs that it
 * listens, with its port and the pid of the server itself (`child` is tsx, which runs the server in
 * a process of its own: signal `pid` to stop or kill the server rather than only tsx).
 */
export function startServerProcess(
  env: Record<string, string>,
  launch: Launch = (command, args) => [command, args],
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(...launch(TSX, ['api/main.ts']), {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    });
    let logs = '';
    // tsx compiles the server as it starts: past 30 s on a loaded two-core machine running two files.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      logs += d.toString();
      const match = /"address":"[^"]*:(\d+)"/.exec(logs);
      if (match) {
        clearTimeout(timer);
        try {
          resolve({ child, port: Number(match[1]), pid: serverPid(child), logs: () => logs });
        } catch (error) {
          reject(error as Error);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs}`)));
  });
}
