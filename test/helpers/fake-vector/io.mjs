// The process the stand-in talks to in its one-shot commands (validate, --version, --help, usage
// errors): environment, stdout and stderr. The `vector` launcher uses the real process; in-process.mjs
// swaps in captured streams for the length of one synchronous command.

const real = { env: process.env, stdout: process.stdout, stderr: process.stderr };
let current = real;

/** The current environment and output streams (`write(text)`, `isTTY`). */
export function io() {
  return current;
}

/** Runs the synchronous `body` with `replacement` as the process, then restores the previous one. */
export function withIo(replacement, body) {
  const previous = current;
  current = replacement;
  try {
    return body();
  } finally {
    current = previous;
  }
}
