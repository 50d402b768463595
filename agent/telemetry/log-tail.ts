/**
 * The last bytes of the agent's own log, kept in memory (the agent logs to stdout, which the
 * service manager owns): runtime.ts copies every log line here, and a diagnostics bundle reads it.
 */

/** A bounded tail of text lines: at most `maxChars` characters, oldest lines dropped first. */
export class LogTail {
  private lines: string[] = [];
  private size = 0;

  constructor(private readonly maxChars: number) {}

  /** Adds one line (a trailing newline is kept as given). Never throws. */
  push(line: string): void {
    const kept = line.length > this.maxChars ? line.slice(line.length - this.maxChars) : line;
    this.lines.push(kept);
    this.size += kept.length;
    while (this.size > this.maxChars && this.lines.length > 0) this.size -= this.lines.shift()!.length;
  }

  /** Everything kept, oldest first. */
  text(): string {
    return this.lines.join('');
  }
}
