// Test controls of run mode, keyed on FAKE_VECTOR_STATE_DIR: `state.json` rewritten atomically after every
// (re)load, one `events.jsonl` line per lifecycle event, and a `crash` file that kills the process.
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CRASH_ON_LOAD_MARKER = 'FAKE_VECTOR_CRASH_ON_LOAD';
const CRASH_FILE_POLL_MS = 100;

/**
 * Creates the controls for `dir` (FAKE_VECTOR_STATE_DIR, created if missing). Without a dir nothing is
 * recorded and no crash file is watched.
 */
export function createControls(dir) {
  if (dir) mkdirSync(dir, { recursive: true });
  return {
    /** Replaces `<dir>/state.json` atomically (temp file + rename). */
    writeState(state) {
      if (!dir) return;
      const temp = join(dir, `.state.json.${process.pid}.tmp`);
      writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
      renameSync(temp, join(dir, 'state.json'));
    },

    /** Appends `{event, pid, time, ...fields}` as one line to `<dir>/events.jsonl`. */
    event(name, fields = {}) {
      if (!dir) return;
      const line = { event: name, pid: process.pid, time: new Date().toISOString(), ...fields };
      appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(line)}\n`);
    },

    /** Polls for `<dir>/crash`; once it appears, deletes it and calls `onCrash`. */
    watchCrashFile(onCrash) {
      if (!dir) return;
      const file = join(dir, 'crash');
      const timer = setInterval(() => {
        if (!existsSync(file)) return;
        clearInterval(timer);
        rmSync(file, { force: true });
        onCrash();
      }, CRASH_FILE_POLL_MS);
    },
  };
}
