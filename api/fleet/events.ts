/**
 * The fleet's typed event bus. Fleet services publish after their transaction commits; REST caches,
 * long-polls, GraphQL subscriptions and the WebSocket credential index listen. In-process by default; with REDIS_URL every message
 * goes through Redis pub/sub, so every replica (this one included) sees every change exactly once.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export type AgentChange =
  'enrolled' | 'heartbeat' | 'moved' | 'revoked' | 'labels' | 'offline' | 'config' | 'token';

/** Topic → payload. Payloads carry ids (and the little the hot paths need), never whole rows. */
export interface FleetEvents {
  /** `previousGroupId` is set when the agent moved, so watchers of the old group see it leave. */
  agentUpdated: { agentId: string; groupId: string; change: AgentChange; previousGroupId?: string };
  /**
   * The heartbeats one flush stored, as one message (not one per agent): agent `agentIds[i]` is in
   * group `groupIds[i]`. Watchers treat each like agentUpdated with change 'heartbeat'.
   */
  agentsSeen: { agentIds: string[]; groupIds: string[] };
  groupUpdated: { groupId: string; deleted?: boolean };
  /** The group's configVersion (what its unpinned agents get) moved to `version`. */
  configPublished: { groupId: string; version: number };
  /**
   * Config pins (agent_config_pins) of group `groupId` changed: a rollout stage reached agents, a
   * revert or a finished rollout moved or removed pins. Replicas re-read the group's pins.
   */
  configPinsChanged: { groupId: string; rolloutId: string | null };
  /** A rollout was created or changed state, stage or gate values (groupId null: an agent selection's). */
  rolloutUpdated: { rolloutId: string; groupId: string | null; state: string };
  actionUpdated: { actionId: string; agentId: string; bulkId: string | null; status: string };
  /**
   * Credentials that ended or changed, so the WebSocket connections using them close: ended
   * sessions, revoked API tokens, and `userId` when every credential of that user must be checked
   * again (disabled, role changed).
   */
  credentialsRevoked: { sessionIds?: string[]; apiTokenIds?: string[]; userId?: string };
  /** An agent enrolled with bootstrap token `tokenId` (published after the enrolment commits). */
  enrolmentTokenUsed: { tokenId: string; agentId: string; groupId: string };
  /** Telemetry of `agentIds` (all in group `groupId`) was recorded; one message per group per flush. */
  telemetryRecorded: { groupId: string; agentIds: string[] };
  /** An alert changed state (pending, firing, resolved) or its notification state changed. */
  alertUpdated: { instanceId: string; ruleId: string; state: string };
  /** An alert rule was created, changed or deleted. */
  alertRuleUpdated: { ruleId: string; deleted?: boolean };
  /** The fleet settings changed (settings.ts): every replica reads them again. */
  settingsChanged: { revision: number };
  /** A replica's probe of the bus itself (api/metrics-sources.ts): it times its own message's trip. */
  busProbe: { replica: string; sentAtMs: number };
}
export type Topic = keyof FleetEvents;

export interface EventBus {
  /** Deliver `payload` to every subscriber of `topic` on every replica. Never throws. */
  publish<T extends Topic>(topic: T, payload: FleetEvents[T]): void;
  /** Call `handler` for each event on `topic`; returns the unsubscribe function. */
  subscribe<T extends Topic>(topic: T, handler: (payload: FleetEvents[T]) => void): () => void;
  /** Resolves once the bus can deliver (Redis connected); rejects when it cannot connect. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const TOPICS: Topic[] = [
  'agentUpdated',
  'agentsSeen',
  'groupUpdated',
  'configPublished',
  'configPinsChanged',
  'rolloutUpdated',
  'actionUpdated',
  'credentialsRevoked',
  'enrolmentTokenUsed',
  'telemetryRecorded',
  'alertUpdated',
  'alertRuleUpdated',
  'settingsChanged',
  'busProbe',
];

/** An in-process bus for one server process (the default without REDIS_URL). */
export function createLocalBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(topic, payload) {
      deliver(emitter, topic, payload);
    },
    subscribe(topic, handler) {
      emitter.on(topic, handler);
      return () => emitter.off(topic, handler);
    },
    ready: () => Promise.resolve(),
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

/**
 * A bus shared by every replica through Redis pub/sub on channels `<prefix>:<topic>`. Messages
 * published while Redis is briefly unreachable are queued by ioredis and sent on reconnect.
 */
export function createRedisBus(url: string, prefix = 'flotilla', onError?: (error: Error) => void): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
  const sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
  for (const client of [pub, sub]) client.on('error', (error: Error) => onError?.(error));
  const channels = TOPICS.map((t) => `${prefix}:${t}`);
  sub.on('message', (channel: string, message: string) => {
    const topic = channel.slice(prefix.length + 1) as Topic;
    try {
      deliver(emitter, topic, JSON.parse(message));
    } catch (error) {
      onError?.(error as Error);
    }
  });
  const connected = (async () => {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(...channels);
  })();
  connected.catch(() => undefined);
  return {
    publish(topic, payload) {
      pub.publish(`${prefix}:${topic}`, JSON.stringify(payload)).catch((error: Error) => onError?.(error));
    },
    subscribe(topic, handler) {
      emitter.on(topic, handler);
      return () => emitter.off(topic, handler);
    },
    ready: () => connected,
    async close() {
      emitter.removeAllListeners();
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

/**
 * The bus of a server or CLI process: through Redis when `redisUrl` (REDIS_URL) is set, else
 * in-process. Call ready() before relying on it.
 */
export function createEventBus(
  settings: { redisUrl: string | undefined; redisPrefix: string },
  onError?: (error: Error) => void,
): EventBus {
  return settings.redisUrl
    ? createRedisBus(settings.redisUrl, settings.redisPrefix, onError)
    : createLocalBus();
}

function deliver(emitter: EventEmitter, topic: string, payload: unknown): void {
  for (const listener of emitter.listeners(topic)) {
    try {
      (listener as (p: unknown) => void)(payload);
    } catch {
      /* one failing subscriber must not stop the others */
    }
  }
}
