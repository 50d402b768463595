/** Types of in-process.mjs, for the TypeScript tests that run the stand-in's validate in-process. */
export function runInProcess(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): { code: number; stdout: string; stderr: string };
