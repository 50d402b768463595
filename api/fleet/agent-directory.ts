/**
 * The in-memory view the agent hot paths read instead of the database: agents by token hash, each
 * group's baseline config version, every agent's config pin (config-pins.ts), rendered configs, and
 * which agents have pending actions. Loaded lazily or at start, and kept current by the event bus
 * on every replica. An agent's desired version is its pin, else its group's baseline.
 */
import type { FleetContext } from './context.ts';
import type { Platform } from '../generated/prisma/client.ts';
import { REFERENCE_MARK, etagOf } from './secret-refs.ts';
import { resolveDeliveredConfig } from './secrets.ts';
import { ConfigPins } from './config-pins.ts';
import { DELIVERABLE_ACTION_STATUSES } from './action-states.ts';

export interface AgentEntry {
  id: string;
  groupId: string;
  platform: Platform;
  revoked: boolean;
  configResetPending: boolean;
  /** When its current token was issued, and whether an operator asked to rotate it (token-rotation.ts). */
  tokenIssuedAt: Date;
  rotationRequested: boolean;
  /** The token hash this entry was found by; viaNextToken: it is the rotated, not yet used one. */
  tokenHash: string;
  viaNextToken: boolean;
}

export interface RenderedEntry {
  version: number;
  yaml: string;
  etag: string;
}

const MAX_RENDERED = 2_000;

/** Callbacks run after the directory applied a change (so they see the new state). */
export interface DirectoryWatcher {
  /** The group's baseline (what its unpinned agents get) moved to `version`. */
  versionChanged?(groupId: string, version: number): void;
  agentChanged?(agentId: string): void;
  /** Pins of group `groupId` were set, changed or removed: these agents' desired version changed. */
  desiredChanged?(groupId: string, agentIds: readonly string[]): void;
}

export class AgentDirectory {
  private readonly byToken = new Map<string, AgentEntry>();
  /**
   * Agent id → the token hashes cached for it (the current one, and a rotated one once used): an
   * array, as it holds one or two (a Set per agent cost about 330 bytes more in a heap snapshot).
   */
  private readonly tokenById = new Map<string, string[]>();
  private readonly groupVersions = new Map<string, number>();
  private readonly groupSelfHeal = new Map<string, boolean>();
  /** Self-heal reads in flight, one per group: heartbeats that miss together share it. */
  private readonly selfHealLoads = new Map<string, Promise<boolean>>();
  /** Counts `groupUpdated` events, so a read that raced with one does not cache what it read. */
  private groupEpoch = 0;
  private readonly rendered = new Map<string, RenderedEntry>();
  private pendingActionAgents = new Set<string>();
  /** Counts "action became pending" events, so a drain that raced with one is not applied. */
  private pendingMark = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly watchers = new Set<DirectoryWatcher>();
  private readonly renderedLoads = new Map<string, Promise<RenderedEntry | null>>();
  private readonly pins: ConfigPins;

  constructor(private readonly ctx: FleetContext) {
    this.pins = new ConfigPins(ctx.db);
  }

  /**
   * Load group versions, config pins and agents with pending actions, and follow the bus. Call once
   * before serving agents; rejects when the database cannot be read.
   */
  async start(): Promise<void> {
    const { events } = this.ctx;
    this.unsubscribe.push(
      events.subscribe('configPublished', ({ groupId, version }) => this.noteVersion(groupId, version)),
      events.subscribe('groupUpdated', ({ groupId, deleted }) => this.noteGroupUpdated(groupId, deleted)),
      events.subscribe('agentUpdated', ({ agentId, change }) => {
        if (change === 'moved' || change === 'revoked') this.forgetPin(agentId);
        if (change === 'moved' || change === 'revoked' || change === 'config' || change === 'token')
          void this.refreshAgent(agentId);
      }),
      events.subscribe('configPinsChanged', ({ groupId }) => void this.reloadGroupPins(groupId)),
      events.subscribe('actionUpdated', ({ agentId, status }) => {
        if (status === 'pending') {
          this.pendingMark++;
          this.pendingActionAgents.add(agentId);
        }
      }),
    );
    const groups = await this.ctx.db.group.findMany({ select: { id: true, configVersion: true } });
    for (const g of groups) this.noteVersion(g.id, g.configVersion);
    await this.reloadPins();
    await this.reloadPendingActions();
  }

  /** Be told about changes after they are applied here; returns the function that stops it. */
  watch(watcher: DirectoryWatcher): () => void {
    this.watchers.add(watcher);
    return () => void this.watchers.delete(watcher);
  }

  /** The cached entry of an agent by id (only agents that authenticated here), or undefined. */
  cachedAgent(agentId: string): AgentEntry | undefined {
    for (const hash of this.tokenById.get(agentId) ?? []) {
      const entry = this.byToken.get(hash);
      if (entry && !entry.viaNextToken) return entry;
    }
    return undefined;
  }

  /** Stop following the bus. */
  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The agent a token hash belongs to when it is in memory (no promise); undefined on a miss. */
  cachedByTokenHash(tokenHash: string): AgentEntry | undefined {
    return this.byToken.get(tokenHash);
  }

  /** The baseline config version of a group when it is in memory; undefined on a miss. */
  cachedGroupVersion(groupId: string): number | undefined {
    return this.groupVersions.get(groupId);
  }

  /**
   * The version a rollout pinned the agent to while it is in group `groupId` (always in memory: every
   * pin is loaded at start); undefined when it is not pinned, so it gets the group's baseline.
   */
  pinnedVersion(agentId: string, groupId: string): number | undefined {
    return this.pins.version(agentId, groupId);
  }

  /**
   * Re-read every config pin and tell watchers whose desired version changed. The sweep calls this
   * so a lost configPinsChanged heals; rejects when the database fails.
   */
  async reloadPins(): Promise<void> {
    for (const [groupId, agentIds] of await this.pins.reloadAll()) this.notifyDesired(groupId, agentIds);
  }

  /** A rendered config when it is in memory (see renderedConfig); undefined on a miss. */
  cachedRenderedConfig(groupId: string, version: number, platform: Platform): RenderedEntry | undefined {
    return this.rendered.get(`${groupId}:${version}:${platform}`);
  }

  /**
   * The agent a token hash belongs to (its current token, or a rotated one it has not used yet),
   * from memory, or from the database on a miss (then cached). Resolves null for an unknown token.
   * Rejects only when the database fails.
   */
  async findByTokenHash(tokenHash: string): Promise<AgentEntry | null> {
    const cached = this.byToken.get(tokenHash);
    if (cached) return cached;
    const row = await this.ctx.db.agent.findFirst({
      where: { OR: [{ tokenHash }, { nextTokenHash: tokenHash }] },
      select: {
        id: true,
        groupId: true,
        platform: true,
        revokedAt: true,
        configResetPending: true,
        tokenHash: true,
        tokenIssuedAt: true,
        tokenRotationRequestedAt: true,
      },
    });
    if (!row) return null;
    const entry: AgentEntry = {
      id: row.id,
      groupId: row.groupId,
      platform: row.platform,
      revoked: row.revokedAt !== null,
      configResetPending: row.configResetPending,
      tokenIssuedAt: row.tokenIssuedAt,
      rotationRequested: row.tokenRotationRequestedAt !== null,
      tokenHash,
      viaNextToken: row.tokenHash !== tokenHash,
    };
    this.byToken.set(tokenHash, entry);
    const hashes = this.tokenById.get(row.id);
    if (!hashes) this.tokenById.set(row.id, [tokenHash]);
    else if (!hashes.includes(tokenHash)) hashes.push(tokenHash);
    return entry;
  }

  /** Forget every cached token of an agent (its token changed); the next request reloads it. */
  forgetAgentTokens(agentId: string): string[] {
    const hashes = this.tokenById.get(agentId) ?? [];
    for (const hash of hashes) this.byToken.delete(hash);
    this.tokenById.delete(agentId);
    return hashes;
  }

  /** The group's self-heal setting when it is in memory; undefined on a miss (see selfHeal). */
  cachedSelfHeal(groupId: string): boolean | undefined {
    return this.groupSelfHeal.get(groupId);
  }

  /**
   * The group's self-heal setting (database on a miss, one read however many callers miss
   * together); true for an unknown group.
   */
  selfHeal(groupId: string): Promise<boolean> {
    const known = this.groupSelfHeal.get(groupId);
    if (known !== undefined) return Promise.resolve(known);
    let load = this.selfHealLoads.get(groupId);
    if (!load) {
      const epoch = this.groupEpoch;
      load = this.ctx.db.group
        .findUnique({ where: { id: groupId }, select: { selfHeal: true } })
        .then((group) => {
          if (group && epoch === this.groupEpoch) this.groupSelfHeal.set(groupId, group.selfHeal);
          return group?.selfHeal ?? true;
        })
        .finally(() => {
          if (this.selfHealLoads.get(groupId) === load) this.selfHealLoads.delete(groupId);
        });
      this.selfHealLoads.set(groupId, load);
    }
    return load;
  }

  /**
   * A group changed (every publish says so): forget its self-heal setting, and read it again at
   * once when it was in memory, so the fleet's heartbeats after a change find it there instead of
   * each taking the database path. A failed read leaves it missing: the next heartbeat reads it.
   */
  private noteGroupUpdated(groupId: string, deleted: boolean | undefined): void {
    this.groupEpoch++;
    this.selfHealLoads.delete(groupId);
    if (deleted) this.groupVersions.delete(groupId);
    const known = this.groupSelfHeal.delete(groupId);
    if (known && !deleted) this.selfHeal(groupId).catch(() => undefined);
  }

  /** The baseline config version of a group (database on a miss). Null when the group is gone. */
  async groupVersion(groupId: string): Promise<number | null> {
    const known = this.groupVersions.get(groupId);
    if (known !== undefined) return known;
    const group = await this.ctx.db.group.findUnique({
      where: { id: groupId },
      select: { configVersion: true },
    });
    if (!group) return null;
    this.noteVersion(groupId, group.configVersion);
    return group.configVersion;
  }

  /**
   * The config of a group's version for a platform as its agents receive it (cached; database on
   * a miss): the stored bytes with `SECRET[name]` references resolved (secrets.ts) and the etag of
   * those bytes. Only the agent config route (and the heartbeat's drift check, for the etag) may
   * call this; never log or expose the result.
   * Secret changes republish the group, so a cached version never goes stale.
   */
  async renderedConfig(groupId: string, version: number, platform: Platform): Promise<RenderedEntry | null> {
    const key = `${groupId}:${version}:${platform}`;
    const cached = this.rendered.get(key);
    if (cached) return cached;
    // Many held polls wake together on a publish: load each rendering once.
    const loading = this.renderedLoads.get(key);
    if (loading) return loading;
    const load = this.ctx.db.renderedConfig
      .findUnique({
        where: { groupId_version_platform: { groupId, version, platform } },
        select: { version: true, yaml: true, etag: true },
      })
      .then(async (stored) => {
        if (!stored?.yaml.includes(REFERENCE_MARK)) return stored;
        const yaml = await resolveDeliveredConfig(this.ctx, groupId, stored.yaml);
        return { version: stored.version, yaml, etag: etagOf(yaml) };
      })
      .then((row) => {
        if (row) {
          if (this.rendered.size >= MAX_RENDERED)
            this.rendered.delete(this.rendered.keys().next().value as string);
          this.rendered.set(key, row);
        }
        return row;
      })
      .finally(() => this.renderedLoads.delete(key));
    this.renderedLoads.set(key, load);
    return load;
  }

  /** Mark that the agent got its post-move config, in memory (the caller persists it). */
  clearConfigReset(agentId: string): void {
    for (const hash of this.tokenById.get(agentId) ?? []) {
      const entry = this.byToken.get(hash);
      if (entry) entry.configResetPending = false;
    }
  }

  /** Whether the agent may have pending actions (false means: skip the database). */
  mayHavePendingActions(agentId: string): boolean {
    return this.pendingActionAgents.has(agentId);
  }

  /** A mark to take before querying pending actions; pass it to notePendingActionsDrained. */
  pendingActionsMark(): number {
    return this.pendingMark;
  }

  /** Forget that an agent has pending actions (a query started at `mark` found none). */
  notePendingActionsDrained(agentId: string, mark: number): void {
    if (mark === this.pendingMark) this.pendingActionAgents.delete(agentId);
  }

  /** Re-read which agents have actions to deliver (pending, or delivered and not yet reported); the sweep calls this so a lost event heals itself. */
  async reloadPendingActions(): Promise<void> {
    const rows = await this.ctx.db.action.findMany({
      where: { status: { in: [...DELIVERABLE_ACTION_STATUSES] } },
      select: { agentId: true },
      distinct: ['agentId'],
    });
    this.pendingActionAgents = new Set(rows.map((r) => r.agentId));
  }

  private noteVersion(groupId: string, version: number): void {
    if ((this.groupVersions.get(groupId) ?? -1) >= version) return;
    this.groupVersions.set(groupId, version);
    for (const w of this.watchers) w.versionChanged?.(groupId, version);
  }

  private reloadGroupPins(groupId: string): Promise<void> {
    return this.pins.reloadGroup(groupId).then(
      (changed) => this.notifyDesired(groupId, changed),
      // The sweep's reloadPins heals a failed read.
      () => undefined,
    );
  }

  /** An agent moved or was revoked (its pin row went in the same transaction): re-read its old group. */
  private forgetPin(agentId: string): void {
    const groupId = this.pins.groupOf(agentId);
    if (groupId !== undefined) void this.reloadGroupPins(groupId);
  }

  private notifyDesired(groupId: string, agentIds: string[]): void {
    if (agentIds.length === 0) return;
    for (const w of this.watchers) w.desiredChanged?.(groupId, agentIds);
  }

  private async refreshAgent(agentId: string): Promise<void> {
    const hashes = this.forgetAgentTokens(agentId);
    if (hashes.length === 0) return;
    await Promise.all(hashes.map((hash) => this.findByTokenHash(hash).catch(() => undefined)));
    for (const w of this.watchers) w.agentChanged?.(agentId);
  }
}
