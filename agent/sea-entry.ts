/**
 * flotilla-agent's entry in the single executable (`npm run build:sea`): Node's single-executable
 * applications run one CommonJS script, so there is no top-level await here. In an executable
 * `process.argv[1]` is the executable again, so the command line starts at argv[2] as in the bundle.
 */
import { runProcess } from './cli.ts';

void runProcess();
