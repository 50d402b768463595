// Runs the stand-in's one-shot commands inside the calling process, for tests of its rules rather than of
// its process contract: the same code as the `vector` launcher, with the environment, the working
// directory and the output captured. Starting a Node process per config cost the suite ~40 s of CPU.
import { withIo } from './io.mjs';
import { main } from './main.mjs';

/**
 * Runs `vector <argv>` (validate, --version, --help or a usage error; run mode is refused) with `env` as
 * its whole environment and `cwd` as its working directory. Returns `{code, stdout, stderr}`.
 */
export function runInProcess(argv, { env, cwd }) {
  let stdout = '';
  let stderr = '';
  const captured = {
    env,
    stdout: { isTTY: false, write: (text) => ((stdout += text), true) },
    stderr: { isTTY: false, write: (text) => ((stderr += text), true) },
  };
  const previousDir = process.cwd();
  process.chdir(cwd);
  try {
    const code = withIo(captured, () => main(argv, { oneShot: true }));
    return { code, stdout, stderr };
  } finally {
    process.chdir(previousDir);
  }
}
