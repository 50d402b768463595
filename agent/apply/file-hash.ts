/** The hash of a config file, and what the agent remembers of the file it applied (drift.ts). */
import { createHash } from 'node:crypto';

/** What the agent wrote to vector.yaml at its last apply. */
export interface AppliedFile {
  /** SHA-256 (hex) of the file's bytes as written. */
  sha256: string;
  /**
   * SHA-256 (hex) of the server's config as received (its etag's hex). Reported as
   * `runningConfigSha256` while the file is exactly what the agent wrote: the server's config plus
   * the agent's own additions (data_dir, its metrics components).
   */
  bodySha256: string;
}

/** Lowercase hex SHA-256 of UTF-8 text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
