/**
 * The agent's persistent state. Two places, as protocol.md "Agent on disk" lays out:
 *  - `<config-dir>/agent-token` (0600) and `<config-dir>/agent.json` (agent id, server, group): the
 *    identity, written by `enrol`;
 *  - `<state-dir>/state.json`: applied config version, last configError, seen action ids, the
 *    in-flight action, action results not yet acknowledged by the server, the last error.
 * Every write is atomic; writes are serialised so concurrent updates never lose each other.
 */
import * as z from 'zod';
import { ConfigError } from '../../api/protocol/v1.ts';
import { ActionResult } from '../../api/protocol/actions.ts';
import type { Credentials } from '../transport/client.ts';
import type { Logger } from '../log.ts';
import { readFileIfExists, writeFileAtomic, type AgentFs } from './atomic-write.ts';

export const InFlightAction = z.object({
  id: z.string(),
  type: z.string(),
  payload: z.record(z.string(), z.unknown()),
  receivedAt: z.string(),
  /** Handler-owned progress (e.g. the upgrade phase), read back after a restart. */
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type InFlightAction = z.infer<typeof InFlightAction>;

const AgentStateSchema = z.object({
  appliedConfigVersion: z.number().int().min(0).default(0),
  appliedEtag: z.string().nullable().default(null),
  /** What the last apply wrote to vector.yaml (apply/drift.ts); null before the first apply. */
  appliedFile: z.object({ sha256: z.string(), bodySha256: z.string() }).nullable().default(null),
  configError: ConfigError.nullable().default(null),
  seenActionIds: z.array(z.string()).default([]),
  inFlight: InFlightAction.nullable().default(null),
  pendingResults: z.array(ActionResult).default([]),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable().default(null),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

const IdentitySchema = z.object({
  agentId: z.string().min(1),
  apiUrl: z.string().min(1),
  groupId: z.string(),
  enrolledAt: z.string(),
});
export type Identity = z.infer<typeof IdentitySchema>;

export interface StorePaths {
  stateFile: string;
  identityFile: string;
  tokenFile: string;
}

/** A fresh, empty state (nothing applied, nothing in flight). */
export function emptyState(): AgentState {
  return AgentStateSchema.parse({});
}

/** state.json and the identity files; one instance per process owns the writes to state.json. */
export class StateStore {
  private state: AgentState = emptyState();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fs: AgentFs,
    private readonly paths: StorePaths,
    private readonly log: Logger,
  ) {}

  /**
   * Reads state.json into memory. Call once before any other method. A missing file gives the
   * empty state; an unreadable or corrupt one is logged and replaced by the empty state (the agent
   * then re-fetches its config), so a damaged file never stops the agent.
   */
  async load(): Promise<AgentState> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.fs, this.paths.stateFile);
    } catch (error) {
      this.log.warn('cannot read state file, starting from an empty state', { error });
    }
    this.state = text === undefined ? emptyState() : this.parse(text);
    return this.state;
  }

  /** The in-memory state as of the last load() or update(). */
  get current(): AgentState {
    return this.state;
  }

  /**
   * Applies `mutate` to a copy of the state and persists it atomically; updates run one at a time
   * in call order. Rejects if the write fails, and the in-memory state then stays as it was.
   */
  update(mutate: (draft: AgentState) => void): Promise<AgentState> {
    const run = async (): Promise<AgentState> => {
      const draft = structuredClone(this.state);
      mutate(draft);
      await writeFileAtomic(this.fs, this.paths.stateFile, `${JSON.stringify(draft, null, 2)}\n`, {
        mode: 0o600,
      });
      this.state = draft;
      return draft;
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Reads the identity and token written by enrol. Returns null when the agent is not enrolled
   * (either file missing) or the files are unreadable/corrupt (logged).
   */
  async readCredentials(): Promise<(Credentials & Identity) | null> {
    try {
      const [identityText, token] = await Promise.all([
        readFileIfExists(this.fs, this.paths.identityFile),
        readFileIfExists(this.fs, this.paths.tokenFile),
      ]);
      if (identityText === undefined || token === undefined || token.trim() === '') return null;
      const identity = IdentitySchema.parse(JSON.parse(identityText));
      return { ...identity, agentToken: token.trim() };
    } catch (error) {
      this.log.warn('cannot read the agent identity; enrol again', { error });
      return null;
    }
  }

  /**
   * Replaces the agent token (a rotation) atomically, mode 0600: after a crash the file holds the
   * old token or the new one, never a mix. Rejects on I/O errors (the old token then stays).
   */
  async writeToken(agentToken: string): Promise<void> {
    await writeFileAtomic(this.fs, this.paths.tokenFile, `${agentToken}\n`, { mode: 0o600 });
  }

  /**
   * Stores a new identity: the token first (mode 0600), then agent.json, so an identity file never
   * points at a missing token. Rejects on I/O errors (the previous identity may then be half replaced:
   * the caller reports the failure and the operator re-runs enrol).
   */
  async writeIdentity(identity: Identity, agentToken: string): Promise<void> {
    await writeFileAtomic(this.fs, this.paths.tokenFile, `${agentToken}\n`, { mode: 0o600 });
    await writeFileAtomic(this.fs, this.paths.identityFile, `${JSON.stringify(identity, null, 2)}\n`, {
      mode: 0o600,
    });
  }

  private parse(text: string): AgentState {
    try {
      return AgentStateSchema.parse(JSON.parse(text));
    } catch (error) {
      this.log.warn('state file is corrupt, starting from an empty state', { error });
      return emptyState();
    }
  }
}
