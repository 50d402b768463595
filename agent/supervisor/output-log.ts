/**
 * Where Vector's stdout/stderr go: `<log-dir>/vector.log`, rotated by size (vector.log.1 … .N), plus
 * the last lines in memory so a crash report can say what Vector printed before it died.
 */
import type * as nodeFs from 'node:fs';

export type SyncFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'closeSync' | 'renameSync' | 'statSync' | 'rmSync'
>;

export interface OutputLogOptions {
  fs: SyncFs;
  file: string;
  maxBytes: number;
  /** Rotated files to keep besides the live one. */
  keep: number;
  tailLines?: number;
  /** Called with every complete, non-blank output line (e.g. to keep Vector's warnings). */
  onLine?: (line: string) => void;
}

/** A size-rotated log file for a child process's output. */
export class OutputLog {
  private fd: number | null = null;
  private size = 0;
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly options: OutputLogOptions) {}

  /**
   * Appends a chunk of process output, rotating first if it would pass maxBytes. Never throws:
   * a log that cannot be written (disk full, directory gone) must not take the supervisor down.
   */
  write(chunk: Buffer | string): void {
    this.remember(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    try {
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + chunk.length > this.options.maxBytes) this.rotate();
      const fd = this.fd as number;
      const written =
        typeof chunk === 'string'
          ? this.options.fs.writeSync(fd, chunk)
          : this.options.fs.writeSync(fd, chunk);
      this.size += written;
    } catch {
      this.closeQuietly();
    }
  }

  /** The last lines written (at most `tailLines`, default 20), oldest first. */
  tail(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }

  /** Closes the file; a later write reopens it. Call on shutdown. Never throws. */
  close(): void {
    this.closeQuietly();
  }

  private open(): void {
    const { fs, file } = this.options;
    this.fd = fs.openSync(file, 'a', 0o640);
    this.size = fs.statSync(file).size;
  }

  private rotate(): void {
    const { fs, file, keep } = this.options;
    this.closeQuietly();
    if (keep === 0) fs.rmSync(file, { force: true });
    for (let i = keep; i >= 1; i--) {
      const from = i === 1 ? file : `${file}.${i - 1}`;
      try {
        fs.renameSync(from, `${file}.${i}`);
      } catch {
        // A missing older generation is normal until the log has rotated `keep` times.
      }
    }
    this.open();
  }

  private closeQuietly(): void {
    if (this.fd === null) return;
    try {
      this.options.fs.closeSync(this.fd);
    } catch {
      // Already closed or invalid: nothing left to release.
    }
    this.fd = null;
  }

  private remember(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    const max = this.options.tailLines ?? 20;
    const complete = parts.filter((line) => line.trim() !== '');
    this.lines.push(...complete);
    if (this.options.onLine) for (const line of complete) this.options.onLine(line);
    if (this.lines.length > max) this.lines.splice(0, this.lines.length - max);
    if (this.partial.length > 4096) this.partial = this.partial.slice(-4096);
  }
}
