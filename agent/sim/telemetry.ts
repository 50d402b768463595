/**
 * Telemetry of a virtual agent, in the protocol's own types: a ten-component pipeline (three
 * sources, four transforms, three sinks) whose counters advance with the agent's own event rate,
 * host metrics, and for one agent in twenty a failing sink with errors and a warning line. Vector
 * restarts now and then (about one heartbeat in 500), which resets its counters and uptime, as the
 * server must handle. Cheap: a few numbers per agent, the objects are built at each heartbeat.
 */
import type { ComponentKind, ComponentTelemetry, Telemetry } from '../../api/protocol/telemetry.ts';

interface Stage {
  id: string;
  kind: ComponentKind;
  type: string;
  /** Share of all source events this component receives, and sends on. */
  inShare: number;
  outShare: number;
  bytesPerEvent: number;
  /** Share of received events discarded on purpose (a filter). */
  discardShare?: number;
  /** Sinks with a buffer. */
  buffered?: boolean;
}

/** The pipeline every virtual agent runs. */
export const SIM_PIPELINE: readonly Stage[] = [
  { id: 'app_logs', kind: 'source', type: 'file', inShare: 0.6, outShare: 0.6, bytesPerEvent: 300 },
  { id: 'journal', kind: 'source', type: 'journald', inShare: 0.3, outShare: 0.3, bytesPerEvent: 400 },
  { id: 'syslog_in', kind: 'source', type: 'syslog', inShare: 0.1, outShare: 0.1, bytesPerEvent: 250 },
  { id: 'parse_json', kind: 'transform', type: 'remap', inShare: 1, outShare: 1, bytesPerEvent: 330 },
  {
    id: 'drop_debug',
    kind: 'transform',
    type: 'filter',
    inShare: 1,
    outShare: 0.8,
    bytesPerEvent: 330,
    discardShare: 0.2,
  },
  { id: 'enrich', kind: 'transform', type: 'remap', inShare: 0.8, outShare: 0.8, bytesPerEvent: 380 },
  { id: 'route_level', kind: 'transform', type: 'route', inShare: 0.8, outShare: 0.8, bytesPerEvent: 380 },
  {
    id: 'to_es',
    kind: 'sink',
    type: 'elasticsearch',
    inShare: 0.8,
    outShare: 0.8,
    bytesPerEvent: 380,
    buffered: true,
  },
  {
    id: 'to_s3',
    kind: 'sink',
    type: 'aws_s3',
    inShare: 0.8,
    outShare: 0.8,
    bytesPerEvent: 380,
    buffered: true,
  },
  { id: 'to_loki', kind: 'sink', type: 'loki', inShare: 0.1, outShare: 0.1, bytesPerEvent: 380 },
];

/** One agent in this many has a failing sink (errors, events short of its input, a warning line). */
const NOISY_EVERY = 20;
/** Chance per heartbeat that Vector restarted since the last one. */
const RESTART_CHANCE = 1 / 500;
const GIB = 1024 ** 3;

/** The telemetry of one virtual agent. */
export class SimTelemetry {
  /** When the simulated Vector last (re)started, clock time in ms. */
  vectorStartedAt: number;
  private readonly eventsPerSecond: number;
  private readonly noisy: boolean;
  private readonly bootAt: number;
  private reloads = 0;

  constructor(
    index: number,
    now: number,
    private readonly random: () => number,
  ) {
    this.vectorStartedAt = now;
    this.bootAt = now - 86_400_000;
    this.eventsPerSecond = 20 + ((index * 7919) % 480);
    this.noisy = index % NOISY_EVERY === NOISY_EVERY - 1;
  }

  /** A config was applied: Vector reloaded. */
  reloaded(): void {
    this.reloads++;
  }

  /** The telemetry for a heartbeat at clock time `now`. */
  sample(now: number): Telemetry {
    if (this.random() < RESTART_CHANCE) {
      this.vectorStartedAt = now;
      this.reloads = 0;
    }
    const seconds = Math.max(0, (now - this.vectorStartedAt) / 1000);
    const events = this.eventsPerSecond * seconds;
    const components = SIM_PIPELINE.map((stage) => this.component(stage, events));
    const sentBytes = components.filter((c) => c.kind === 'sink').reduce((sum, c) => sum + c.bytesOut, 0);
    const uptime = (now - this.bootAt) / 1000;
    const load = 0.2 + (this.eventsPerSecond / 500) * 1.5;
    return {
      vector: { uptimeSeconds: Math.floor(seconds * 10) / 10, reloads: this.reloads },
      components,
      host: {
        cpuPercent: Math.round((3 + this.eventsPerSecond / 25 + this.random() * 5) * 10) / 10,
        load1: Math.round((load + this.random() * 0.3) * 100) / 100,
        load5: Math.round(load * 100) / 100,
        load15: Math.round(load * 90) / 100,
        memoryUsedBytes: Math.round((2 + this.eventsPerSecond / 250) * GIB),
        memoryAvailableBytes: Math.round((6 - this.eventsPerSecond / 250) * GIB),
        diskUsedBytes: Math.round((20 + this.eventsPerSecond / 10) * GIB),
        diskTotalBytes: 100 * GIB,
        networkInBytes: Math.round(uptime * 20_000 + sentBytes * 0.05),
        networkOutBytes: Math.round(uptime * 5_000 + sentBytes * 1.1),
        agentRssBytes: 45 * 1024 * 1024,
        agentCpuSeconds: Math.round(uptime * 2) / 1000,
      },
      ...(this.noisy ? { logs: [this.warning(now)] } : {}),
    };
  }

  private component(stage: Stage, events: number): ComponentTelemetry {
    const received = Math.floor(events * stage.inShare);
    const failing = this.noisy && stage.id === 'to_es';
    const sent = failing ? Math.floor(received * 0.97) : Math.floor(events * stage.outShare);
    return {
      id: stage.id,
      kind: stage.kind,
      type: stage.type,
      eventsIn: received,
      eventsOut: sent,
      bytesIn: received * stage.bytesPerEvent,
      bytesOut: sent * stage.bytesPerEvent,
      errors: failing ? Math.floor(received / 1000) : 0,
      discarded: stage.discardShare ? Math.floor(events * stage.discardShare) : 0,
      ...(stage.buffered
        ? {
            bufferEvents: failing ? 5_000 : this.eventsPerSecond,
            bufferBytes: (failing ? 5_000 : this.eventsPerSecond) * stage.bytesPerEvent,
          }
        : {}),
    };
  }

  private warning(now: number) {
    return {
      time: new Date(now).toISOString(),
      level: 'warn' as const,
      message: `${new Date(now).toISOString()}  WARN sink{component_kind="sink" component_id=to_es component_type=elasticsearch}: vector::sinks::util::retries: Retrying after error. error=Server responded with an error: 429 Too Many Requests`,
    };
  }
}
