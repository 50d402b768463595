/**
 * The actions of one virtual agent: the ids it has seen (a redelivery is counted, never run
 * twice), `upgrade_agent` run one at a time (download the release, wait, report running → done;
 * `failed` with the version unchanged when the agent fails upgrades to that release, the
 * simulator's failUpgradeTo),
 * every other type failed with `unsupported action type` (the sim plays an agent that knows no
 * newer action), and the results waiting for a heartbeat until the server acknowledged or
 * rejected them.
 */
import {
  UpgradeAgentDelivery,
  alreadyEndedReason,
  type ActionResult,
  type PendingAction,
  type RejectedResult,
} from '../../api/protocol/actions.ts';
import { sleep } from '../clock.ts';
import type { AgentClient } from '../transport/client.ts';
import type { AgentEnv } from './env.ts';

/** A result not yet acknowledged, and how many heartbeats that carried it failed. */
export interface PendingResult {
  result: ActionResult;
  attempts: number;
}

/** What the actions need from their agent. */
export interface ActionHost {
  currentVersion(): string;
  upgradedTo(version: string): void;
  /** True when this agent fails upgrades to `version` (the failing share and failUpgradeTo). */
  failsUpgradeTo(version: string): boolean;
  /** A result is ready: heartbeat soon. */
  nudge(): void;
}

export class AgentActions {
  private results: PendingResult[] = [];
  private readonly seen = new Set<string>();
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: AgentClient,
    private readonly env: AgentEnv,
    private readonly host: ActionHost,
  ) {}

  /** Results to carry in the next heartbeat, oldest first. */
  pending(): PendingResult[] {
    return this.results.slice();
  }

  /** Results still waiting for a heartbeat. */
  get waiting(): number {
    return this.results.length;
  }

  /** Resolves when the action being run (if any) has finished. */
  settled(): Promise<void> {
    return this.running;
  }

  /** The heartbeat that carried `sent` failed: they go again with the next one. */
  notDelivered(sent: PendingResult[]): void {
    for (const p of sent) p.attempts += 1;
  }

  /** The heartbeat that carried `sent` succeeded; `rejected` lists what the server did not apply. */
  acknowledge(sent: PendingResult[], rejected: RejectedResult[]): void {
    const open = [...rejected];
    for (const p of sent) {
      const hit = open.findIndex((r) => r.actionId === p.result.actionId);
      if (hit >= 0) {
        const [refusal] = open.splice(hit, 1);
        // Refused as already stored with this very status, or after an earlier attempt: the server
        // had applied it already (a duplicate: a lost answer, or a proxy that sent the heartbeat twice).
        const stored = refusal.reason === alreadyEndedReason(p.result.status);
        this.env.events.result(stored || p.attempts > 0 ? 'duplicated' : 'rejected');
      } else this.env.events.result('acknowledged');
    }
    this.results = this.results.filter((p) => !sent.includes(p));
  }

  /** Take the pending actions of a heartbeat answer; after the stop none is started. */
  receive(actions: PendingAction[]): void {
    if (this.env.stop.aborted) return;
    for (const action of actions) {
      if (this.seen.has(action.id)) {
        this.env.events.action('redelivered');
        continue;
      }
      this.seen.add(action.id);
      this.env.events.action('received');
      this.running = this.running.then(() => this.run(action));
    }
  }

  private add(result: ActionResult): void {
    this.results.push({ result, attempts: 0 });
    this.env.events.result('created');
    this.host.nudge();
  }

  private async run(action: PendingAction): Promise<void> {
    const fail = (error: string) => {
      this.add({ actionId: action.id, status: 'failed', result: { error } });
      this.env.events.action('failed');
    };
    if (action.type !== 'upgrade_agent') return fail(`unsupported action type "${action.type}"`);
    const payload = UpgradeAgentDelivery.safeParse(action.payload);
    if (!payload.success) return fail(`bad upgrade_agent payload: ${payload.error.issues[0]?.message}`);
    this.add({ actionId: action.id, status: 'running' });
    if (this.env.download) {
      const got = await this.client.downloadRelease(payload.data.url, payload.data.sha256);
      if (got.kind !== 'ok') return fail(got.message);
    }
    await sleep(this.env.clock, this.env.tuning.upgradeDelayMs, this.env.stop);
    const fromVersion = this.host.currentVersion();
    const toVersion = payload.data.targetVersion;
    if (this.host.failsUpgradeTo(toVersion)) return fail(`simulated: upgrade to ${toVersion} failed`);
    this.host.upgradedTo(toVersion);
    this.add({ actionId: action.id, status: 'done', result: { fromVersion, toVersion } });
    this.env.events.action('done');
  }
}
