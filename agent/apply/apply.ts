/**
 * Applies a config received from the server (style rule 8: received is not applied).
 *
 *   candidate `vector.candidate.yaml` (fsynced) → `vector validate` → rename over `vector.yaml`
 *   → SIGHUP if Vector runs, start it if not → applied as soon as Vector logs that it loaded it
 *   ("Vector has reloaded." / "Vector has started."), or when it is still alive `reloadCheckMs` later.
 *
 * A confirmed apply comes with a `watch`: Vector must stay alive `reloadCheckMs` after confirming,
 * or the previous config is restored and the watch resolves the rollback, to be reported again.
 * A config that fails validation never reaches `vector.yaml`. If Vector dies on a config that
 * validated, the previous file is restored and Vector restarted on it. The body `{}` stops Vector.
 * When the config sets no top-level `data_dir`, the agent inserts its own data directory as the
 * first key (Vector has no command-line flag for it, and its default /var/lib/vector/ is not ours),
 * and beside it the agent's metrics source and exporter (telemetry-components.ts). Every applied
 * config is also kept as `vector.applied.yaml`, the copy self-heal restores (drift.ts).
 */
import { EMPTY_CONFIG } from '../../api/protocol/v1.ts';
import { toStorableText } from '../../api/protocol/storable.ts';
import type { Logger } from '../log.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { readFileIfExists, renameDurable, writeFileAtomic, writeFileDurable } from '../state/atomic-write.ts';
import type { ValidateResult } from '../supervisor/validate.ts';
import { withTelemetryComponents } from './telemetry-components.ts';
import type { VectorExit, VectorSupervisor } from '../supervisor/vector.ts';
import { sha256Hex, type AppliedFile } from './file-hash.ts';

/** Vector died on the config; the previous config is back in place and running. */
export interface RolledBack {
  kind: 'rolled_back';
  version: number;
  message: string;
}

export type ApplyOutcome =
  | {
      kind: 'applied';
      version: number;
      action: 'reloaded' | 'started' | 'stopped' | 'unchanged';
      /**
       * Set when Vector confirmed the config before the check window ended: resolves the rollback
       * if Vector dies within `reloadCheckMs` after that, else null. Apply nothing before it settles.
       */
      watch?: Promise<RolledBack | null>;
      /** What is on disk now (for drift checks). */
      file: AppliedFile;
    }
  /** `vector validate` refused it; nothing on the host changed. */
  | { kind: 'rejected'; version: number; message: string }
  | RolledBack;

export interface ApplierOptions {
  fs: AgentFs;
  configFile: string;
  candidateFile: string;
  /** The copy of the last applied config, restored by self-heal. */
  appliedCopyFile: string;
  dataDir: string;
  validate: (file: string) => Promise<ValidateResult>;
  supervisor: Pick<
    VectorSupervisor,
    'running' | 'start' | 'stop' | 'reload' | 'generationId' | 'waitForLoad' | 'waitForExit' | 'tail'
  >;
  reloadCheckMs: number;
  /** Where the agent's metrics exporter listens (telemetry-components.ts); undefined: not added. */
  metricsAddress?: string;
  log: Logger;
}

const CONFIG_MODE = 0o640;

/** True for a config that means "run nothing": `{}` (comments and blank lines aside). */
export function isEmptyConfig(body: string): boolean {
  const content = body
    .split('\n')
    .filter((line) => !isNonContent(line))
    .join('')
    .trim();
  return content === '' || content === EMPTY_CONFIG;
}

/**
 * Returns `body` with `data_dir: "<dataDir>"` inserted before the first top-level key when the
 * config is a block mapping without one; otherwise returns `body` unchanged (Vector's validate then
 * judges it). Line-based on purpose: in a block mapping every column-0 line is a key, a comment or a
 * document marker, so no YAML parser is needed (and none is loaded into the agent's memory).
 */
export function withDataDir(body: string, dataDir: string): string {
  const lines = body.split('\n');
  const first = lines.findIndex((line) => !isNonContent(line));
  if (first === -1 || !TOP_LEVEL_KEY.test(lines[first])) return body;
  if (lines.some((line) => DATA_DIR_KEY.test(line))) return body;
  lines.splice(first, 0, dataDirLine(dataDir));
  return lines.join('\n');
}

/** The line withDataDir inserts: the agent's one local addition to a config (drift.ts strips it). */
export function dataDirLine(dataDir: string): string {
  return `data_dir: ${JSON.stringify(dataDir)}`;
}

const TOP_LEVEL_KEY = /^(?:[A-Za-z0-9_]|"[^"]*"|'[^']*')[^:#]*:(?:\s|$)/;
const DATA_DIR_KEY = /^(?:data_dir|"data_dir"|'data_dir')\s*:/;

/** Blank lines, comments, document markers and directives. */
function isNonContent(line: string): boolean {
  return /^\s*(?:#.*)?$/.test(line) || /^(?:---|\.\.\.)\s*$/.test(line) || line.startsWith('%');
}

/** Applies configs to the host; one per agent process, used only by the loop. */
export class Applier {
  constructor(private readonly o: ApplierOptions) {}

  /**
   * The text the agent writes for a non-empty config `body`: its `data_dir` line and, when the
   * metrics exporter is on, its metrics components added. Pure.
   */
  localConfig(body: string): string {
    const withDir = withDataDir(body, this.o.dataDir);
    return this.o.metricsAddress ? withTelemetryComponents(withDir, this.o.metricsAddress) : withDir;
  }

  /**
   * Applies config `version`. Call from the loop only, one apply at a time. Resolves with what
   * happened; rejects only on local I/O failures (disk full, permissions), in which case
   * `vector.yaml` is still the old file or the complete new one.
   */
  async apply(version: number, body: string): Promise<ApplyOutcome> {
    const { fs, supervisor, log } = this.o;
    if (isEmptyConfig(body)) {
      await supervisor.stop();
      await writeFileAtomic(fs, this.o.configFile, body, { mode: CONFIG_MODE });
      log.info('empty config applied, vector stopped', { version });
      return { kind: 'applied', version, action: 'stopped', file: await this.keepCopy(body, body) };
    }
    const text = this.localConfig(body);
    await fs.mkdir(this.o.dataDir, { recursive: true });
    await writeFileDurable(fs, this.o.candidateFile, text, CONFIG_MODE);
    const verdict = await this.o.validate(this.o.candidateFile);
    if (!verdict.ok) {
      await fs.rm(this.o.candidateFile, { force: true });
      log.warn('config failed validation, keeping the running one', { version, error: verdict.message });
      return { kind: 'rejected', version, message: verdict.message };
    }
    const previous = await readFileIfExists(fs, this.o.configFile);
    if (previous === text && supervisor.running) {
      await fs.rm(this.o.candidateFile, { force: true });
      return { kind: 'applied', version, action: 'unchanged', file: await this.keepCopy(text, body) };
    }
    await renameDurable(fs, this.o.candidateFile, this.o.configFile);
    const wasRunning = supervisor.running;
    if (wasRunning) await supervisor.reload();
    else await supervisor.start();
    const generation = supervisor.generationId;
    const load = await supervisor.waitForLoad(generation, this.o.reloadCheckMs);
    if (load.kind === 'exited') return this.rollBack(load.exit, version, previous);
    const action = wasRunning ? 'reloaded' : 'started';
    const confirmed = load.kind === 'loaded';
    log.info('config applied', { version, action, confirmed });
    const file = await this.keepCopy(text, body);
    if (!confirmed) return { kind: 'applied', version, action, file };
    return { kind: 'applied', version, action, file, watch: this.watch(generation, version, previous) };
  }

  /** After a confirmed load: Vector must stay up `reloadCheckMs` more, or the previous config returns. */
  private async watch(generation: number, version: number, previous: string | undefined) {
    const exit = await this.o.supervisor.waitForExit(generation, this.o.reloadCheckMs);
    if (!exit) this.o.log.debug('vector stayed up through the reload check', { version });
    if (!exit || exit.expected) return null;
    return this.rollBack(exit, version, previous);
  }

  private async rollBack(
    exit: VectorExit,
    version: number,
    previous: string | undefined,
  ): Promise<RolledBack> {
    const message = describeDeath(exit, version, this.o.supervisor.tail());
    this.o.log.warn('vector died on the new config, restoring the previous one', { version, error: message });
    await this.restore(previous);
    return { kind: 'rolled_back', version, message };
  }

  /**
   * At agent start: starts Vector on the config already in place (it passed validation when it was
   * written), or leaves Vector stopped when there is none or it is `{}`. Removes a candidate left by
   * an agent that was killed mid-apply. Resolves whether Vector was started.
   */
  async startFromDisk(): Promise<boolean> {
    await this.o.fs.rm(this.o.candidateFile, { force: true });
    const current = await readFileIfExists(this.o.fs, this.o.configFile);
    if (current === undefined || isEmptyConfig(current)) return false;
    await this.o.fs.mkdir(this.o.dataDir, { recursive: true });
    await this.o.supervisor.start();
    return true;
  }

  /** Writes the copy self-heal restores; `text` is what vector.yaml holds, `body` what the server sent. */
  private async keepCopy(text: string, body: string): Promise<AppliedFile> {
    await writeFileAtomic(this.o.fs, this.o.appliedCopyFile, text, { mode: CONFIG_MODE });
    return { sha256: sha256Hex(text), bodySha256: sha256Hex(body) };
  }

  /** Puts `previous` back as vector.yaml and as the applied copy (a late rollback had replaced it). */
  private async restore(previous: string | undefined): Promise<void> {
    const { fs, supervisor } = this.o;
    await supervisor.stop();
    if (previous === undefined) {
      await fs.rm(this.o.configFile, { force: true });
      await fs.rm(this.o.appliedCopyFile, { force: true });
      return;
    }
    await writeFileAtomic(fs, this.o.configFile, previous, { mode: CONFIG_MODE });
    await writeFileAtomic(fs, this.o.appliedCopyFile, previous, { mode: CONFIG_MODE });
    if (!isEmptyConfig(previous)) await supervisor.start();
  }
}

function describeDeath(exit: VectorExit, version: number, tail: string[]): string {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  const lines = tail.slice(-5).join('\n');
  const text = `vector exited (${how}) after loading config version ${version}; the previous config was restored`;
  return toStorableText(lines ? `${text}\n${lines}` : text, 4000);
}
