/** flotilla-agent's entry in the ES module bundle (`npm run build:agent`): run the command line. */
import { runProcess } from './cli.ts';

await runProcess();
