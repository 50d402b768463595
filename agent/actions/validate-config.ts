/**
 * `validate_config`: fetch the candidate config of the action from the agent's own server (its
 * candidate route, with the agent token; secrets arrive resolved), write it with the agent's local
 * additions to a scratch file beside the applied config, run `vector validate` on it exactly as an
 * apply would, and delete the file. Nothing is switched: Vector keeps running what it runs.
 *
 * Outcomes: `done` with `{ valid, exitCode, output, sha256 }` once Vector gave a verdict (valid or
 * not); `failed` with `{ error }` when the candidate cannot be fetched, is `{}` (nothing to
 * validate), or `vector validate` cannot run at all. An agent that restarts during the action
 * reports it failed.
 */
import { MAX_VALIDATE_OUTPUT, type ValidateConfigResult } from '../../api/protocol/actions.ts';
import { isEmptyConfig } from '../apply/apply.ts';
import { writeFileDurable, type AgentFs } from '../state/atomic-write.ts';
import type { StateStore } from '../state/store.ts';
import type { ValidateReport } from '../supervisor/validate.ts';
import type { AgentClient } from '../transport/client.ts';
import type { ActionHandler, FinalOutcome } from './runner.ts';

export interface ValidateConfigDeps {
  client: Pick<AgentClient, 'fetchCandidate'>;
  store: Pick<StateStore, 'readCredentials'>;
  fs: AgentFs;
  /** The scratch file (never the applied config or the apply candidate). */
  file: string;
  /** The text the agent would write for a config (Applier.localConfig). */
  localConfig: (body: string) => string;
  /** The data directory the local config names (created if missing, as an apply does). */
  dataDir: string;
  validate: (file: string, maxChars: number) => Promise<ValidateReport>;
}

const failed = (error: string): FinalOutcome => ({ status: 'failed', result: { error } });

/** The handler for `validate_config`. */
export function createValidateConfigHandler(deps: ValidateConfigDeps): ActionHandler {
  return {
    async run(action) {
      const creds = await deps.store.readCredentials();
      if (!creds) return failed('the agent is not enrolled');
      const candidate = await deps.client.fetchCandidate(creds, action.id);
      if (candidate.kind !== 'ok') return failed(`cannot fetch the candidate config: ${candidate.message}`);
      if (isEmptyConfig(candidate.value.body))
        return failed('the candidate config is empty ({}): there is nothing to validate');
      await deps.fs.mkdir(deps.dataDir, { recursive: true });
      await writeFileDurable(deps.fs, deps.file, deps.localConfig(candidate.value.body), 0o600);
      try {
        const report = await deps.validate(deps.file, MAX_VALIDATE_OUTPUT);
        if (report.exitCode === null) return failed(report.output);
        const result: ValidateConfigResult = {
          valid: report.exitCode === 0,
          exitCode: report.exitCode,
          output: report.output,
          sha256: candidate.value.sha256,
        };
        return { status: 'done', result };
      } finally {
        await deps.fs.rm(deps.file, { force: true });
      }
    },
    resume: () => failed('the agent restarted before the validation finished'),
  };
}
