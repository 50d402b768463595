/** The hash of a config file, and what the agent remembers of the file it applied (drift.ts). */
import { createHash } from 'node:crypto';

/** What the agent wrote to vector.yaml at its last apply. */
export interface AppliedFile {
  /** SHA-256 (hex) of the file's bytes as written. */
  sha256: string;
  /** Whether the agent inserted its data_dir line into the server's config. */
  dataDirAdded: boolean;
}

/** Lowercase hex SHA-256 of UTF-8 text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
