/**
 * Drift of the config file Vector runs (api/protocol/README.md → Drift). On every heartbeat the
 * agent hashes `vector.yaml` and compares it with what it applied last. When someone changed the
 * file (an edit on the host, a restored snapshot), the agent, unless its group turned self-heal off,
 * puts the applied config back from its copy and reloads Vector; either way it reports what it found.
 *
 * The hash reported as `runningConfigSha256`: while the file holds exactly what the agent wrote (the
 * server's config plus the agent's own additions: data_dir and its metrics components), the SHA-256
 * of the server's config, which is the applied version's etag; otherwise the SHA-256 of the file's bytes.
 */
import { type ConfigDrift } from '../../api/protocol/v1.ts';
import { toStorableText } from '../../api/protocol/storable.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { readFileIfExists, writeFileAtomic } from '../state/atomic-write.ts';
import type { StateStore } from '../state/store.ts';
import type { VectorSupervisor } from '../supervisor/vector.ts';
import { isEmptyConfig } from './apply.ts';
import { sha256Hex } from './file-hash.ts';

/** The drift fields of one heartbeat. */
export interface DriftCheck {
  runningConfigSha256?: string;
  configDrift?: ConfigDrift;
}

export interface DriftWatchOptions {
  fs: AgentFs;
  configFile: string;
  appliedCopyFile: string;
  dataDir: string;
  store: StateStore;
  supervisor: Pick<VectorSupervisor, 'running' | 'reload' | 'start'>;
  log: Logger;
}

/** Checks vector.yaml against the last apply, and heals it; one per agent process, used by the loop. */
export class DriftWatch {
  /** A drift the server has already been told about while self-heal is off (not reported again). */
  private acknowledgedSha: string | null = null;

  constructor(private readonly o: DriftWatchOptions) {}

  /**
   * Hashes vector.yaml; when it differs from the last apply, restores the applied copy and reloads
   * Vector (`selfHeal`) or only reports it. Call between applies, never during one. Resolves {}
   * before this agent applied anything; never rejects (a failed restore is reported as such).
   */
  async check(selfHeal: boolean): Promise<DriftCheck> {
    const applied = this.o.store.current.appliedFile;
    if (!applied) return {};
    let found: string;
    try {
      found = (await readFileIfExists(this.o.fs, this.o.configFile)) ?? '';
    } catch (error) {
      this.o.log.warn('cannot read the config file for the drift check', { error });
      return {};
    }
    if (sha256Hex(found) === applied.sha256) {
      this.acknowledgedSha = null;
      return { runningConfigSha256: applied.bodySha256 };
    }
    const foundSha256 = sha256Hex(found);
    if (!selfHeal) {
      if (foundSha256 === this.acknowledgedSha) return { runningConfigSha256: foundSha256 };
      this.o.log.warn('config file changed on the host; self-heal is off, reporting only', { foundSha256 });
      return { runningConfigSha256: foundSha256, configDrift: { foundSha256, restored: false } };
    }
    try {
      await this.restore(applied.sha256);
    } catch (error) {
      const message = toStorableText(`cannot restore the applied config: ${errorMessage(error)}`, 2000);
      this.o.log.error('config file changed on the host and could not be restored', { error });
      return { runningConfigSha256: foundSha256, configDrift: { foundSha256, restored: false, message } };
    }
    this.o.log.warn('config file changed on the host: restored the applied config', { foundSha256 });
    return { runningConfigSha256: applied.bodySha256, configDrift: { foundSha256, restored: true } };
  }

  /** A heartbeat carried `drift`: while self-heal is off, the same finding is not reported again. */
  acknowledge(drift: ConfigDrift | undefined): void {
    if (drift) this.acknowledgedSha = drift.restored ? null : drift.foundSha256;
  }

  private async restore(sha256: string): Promise<void> {
    const copy = await readFileIfExists(this.o.fs, this.o.appliedCopyFile);
    if (copy === undefined || sha256Hex(copy) !== sha256)
      throw new Error('the copy of the applied config is missing or was changed too');
    await writeFileAtomic(this.o.fs, this.o.configFile, copy, { mode: 0o640 });
    if (isEmptyConfig(copy)) return;
    if (this.o.supervisor.running) await this.o.supervisor.reload();
    else await this.o.supervisor.start();
  }
}
