/**
 * Every agent's config pin (agent_config_pins) in memory, for the config route's hot path: agent id
 * → the version a rollout pinned it to (api/fleet/rollout/ writes the pins). Loaded whole at start
 * and by the sweep (so a lost bus message heals), one group at a time on configPinsChanged. Every
 * load reports the agents whose pinned version changed, so their held polls and dashboards hear.
 */
import type { FleetContext } from './context.ts';

export interface Pin {
  groupId: string;
  version: number;
}

export class ConfigPins {
  private readonly byAgent = new Map<string, Pin>();
  private readonly byGroup = new Map<string, Set<string>>();
  /**
   * Bumped when a load of the group starts or a whole load applies it: a load that started before
   * the group's latest bump read older rows and is dropped.
   */
  private readonly generation = new Map<string, number>();
  private wholeLoads = 0;

  constructor(private readonly db: FleetContext['db']) {}

  /** The pin of an agent in group `groupId`; undefined when it has none (or a stale one of another group). */
  version(agentId: string, groupId: string): number | undefined {
    const pin = this.byAgent.get(agentId);
    return pin && pin.groupId === groupId ? pin.version : undefined;
  }

  /** The group an agent's pin belongs to, if it has one. */
  groupOf(agentId: string): string | undefined {
    return this.byAgent.get(agentId)?.groupId;
  }

  /**
   * Re-read the pins of one group (one query). Resolves the agents whose pin was set, changed or
   * removed; none when a newer load of the group overtook this one. Rejects when the database fails.
   */
  async reloadGroup(groupId: string): Promise<string[]> {
    const started = this.bump(groupId);
    const rows = await this.db.agentConfigPin.findMany({
      where: { groupId },
      select: { agentId: true, version: true },
    });
    if (this.generation.get(groupId) !== started) return [];
    return this.replace(groupId, rows);
  }

  /**
   * Re-read every pin (one query), leaving alone the groups reloaded since this load started.
   * Resolves the agents whose pin changed, by group. Rejects when the database fails.
   */
  async reloadAll(): Promise<Map<string, string[]>> {
    const load = ++this.wholeLoads;
    const before = new Map(this.generation);
    const rows = await this.db.agentConfigPin.findMany({
      select: { agentId: true, groupId: true, version: true },
    });
    const changed = new Map<string, string[]>();
    if (load !== this.wholeLoads) return changed;
    const groups = new Map<string, { agentId: string; version: number }[]>();
    for (const g of this.byGroup.keys()) groups.set(g, []);
    for (const r of rows) {
      const list = groups.get(r.groupId) ?? [];
      list.push({ agentId: r.agentId, version: r.version });
      groups.set(r.groupId, list);
    }
    for (const [groupId, list] of groups) {
      if (this.generation.get(groupId) !== before.get(groupId)) continue;
      this.bump(groupId);
      const agentIds = this.replace(groupId, list);
      if (agentIds.length > 0) changed.set(groupId, agentIds);
    }
    return changed;
  }

  private bump(groupId: string): number {
    const next = (this.generation.get(groupId) ?? 0) + 1;
    this.generation.set(groupId, next);
    return next;
  }

  private replace(groupId: string, rows: { agentId: string; version: number }[]): string[] {
    const changed: string[] = [];
    const old = this.byGroup.get(groupId) ?? new Set<string>();
    const now = new Set<string>();
    for (const { agentId, version } of rows) {
      now.add(agentId);
      const previous = this.byAgent.get(agentId);
      if (previous?.version !== version || previous.groupId !== groupId) changed.push(agentId);
      if (previous && previous.groupId !== groupId) this.byGroup.get(previous.groupId)?.delete(agentId);
      this.byAgent.set(agentId, { groupId, version });
    }
    for (const agentId of old) {
      if (now.has(agentId) || this.byAgent.get(agentId)?.groupId !== groupId) continue;
      this.byAgent.delete(agentId);
      changed.push(agentId);
    }
    if (now.size > 0) this.byGroup.set(groupId, now);
    else this.byGroup.delete(groupId);
    return changed;
  }
}
