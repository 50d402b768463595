/** Types of vrl.mjs, for the TypeScript tests that compare it with the server's VRL lint. */
export const VRL_COMPILE_MARKER: string;
export function compileVrl(program: string): string[];
