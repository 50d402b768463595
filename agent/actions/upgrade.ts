/**
 * `upgrade_agent`: replace this agent with another release, and come back if the new one fails.
 *
 * Design (the same with systemd and without it):
 *  1. The running agent (version A) records the action in flight (phase `received`), reports
 *     `running` at once, downloads the release from the URL in the payload and checks its SHA-256
 *     against the payload, writes it to `<install-dir>/versions/B/flotilla-agent.mjs`, and checks
 *     that `node <bundle> version` prints B.
 *  2. It records phase `switched` (with the old symlink target), points `<install-dir>/current` at
 *     `versions/B` (a new symlink renamed over the old one: atomic), and starts the **upgrade
 *     watcher**: `node versions/A/flotilla-agent.mjs upgrade-watch …`, detached, from A's own code,
 *     so a broken B cannot break the watcher. Then A stops Vector and exits 0.
 *  3. Who starts B: under systemd (Restart=always, KillMode=process so the watcher survives the
 *     unit restart) systemd starts `current/flotilla-agent.mjs`, i.e. B. Without a service manager
 *     (tests, `--service-manager none`) the watcher starts B itself once A is gone.
 *  4. B finds the action in flight, phase `switched`, its own version = B: it reports `done`
 *     `{fromVersion, toVersion}` in its first heartbeat. The watcher sees the result acknowledged
 *     (no longer pending in state.json) and exits.
 *  5. If B exits before that (watched directly without systemd) or does not get a heartbeat through
 *     within `--upgrade-timeout` (one more when B's `done` is only waiting for its acknowledgement:
 *     the server may have stored it), the watcher points `current` back at A, stops B, records phase
 *     `rolled_back` with the reason, and A comes back (started by systemd or by the watcher) and
 *     reports `failed` with that reason.
 * Kubernetes agents are upgraded by rolling out a new image, so the action fails there with a reason;
 * the single executable (no Node to run a bundle) is upgraded by its package, and fails likewise.
 */
import type { spawn as nodeSpawn } from 'node:child_process';
import path from 'node:path';
import * as z from 'zod';
import { type Platform } from '../../api/protocol/v1.ts';
import { UpgradeAgentDelivery, type PendingAction } from '../../api/protocol/actions.ts';
import type { Clock } from '../clock.ts';
import { sleep } from '../clock.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { writeFileAtomic } from '../state/atomic-write.ts';
import type { InFlightAction } from '../state/store.ts';
import type { AgentClient } from '../transport/client.ts';
import { BUNDLE_NAME } from '../version.ts';
import type { ActionContext, ActionHandler, ActionOutcome, FinalOutcome } from './runner.ts';

export const UpgradeDetail = z.object({
  phase: z.enum(['received', 'switched', 'rolled_back']),
  fromVersion: z.string(),
  toVersion: z.string(),
  previousTarget: z.string().optional(),
  reason: z.string().optional(),
});
export type UpgradeDetail = z.infer<typeof UpgradeDetail>;

/** Environment variable that hands the watcher its job: `{"actionId", "agentPid"}`. */
export const WATCH_ENV = 'FLOTILLA_AGENT_UPGRADE_WATCH';
/** Why the single executable refuses `upgrade_agent` (it has no Node to run the release's bundle). */
export const EXECUTABLE_UPGRADE_REASON =
  'this agent is the single executable: upgrade it with its package (.deb) or install.sh, not upgrade_agent';

export interface UpgradeOptions {
  fs: AgentFs;
  spawn: typeof nodeSpawn;
  clock: Clock;
  log: Logger;
  client: Pick<AgentClient, 'downloadRelease'>;
  agentVersion: string;
  platform: Platform;
  installDir: string;
  upgradeLogFile: string;
  /** The node executable that runs bundles; null in the single executable (no node to run them). */
  nodePath: string | null;
  /** Options the agent was started with (everything after the command), passed to the watcher. */
  agentArgs: string[];
  env: NodeJS.ProcessEnv;
  pid: number;
}

/** Creates the upgrade_agent handler. */
export function createUpgradeHandler(o: UpgradeOptions): ActionHandler {
  const versionsDir = path.join(o.installDir, 'versions');
  const currentLink = path.join(o.installDir, 'current');
  const failed = (fromVersion: string, toVersion: string, reason: string): FinalOutcome => ({
    status: 'failed',
    result: { fromVersion, toVersion, reason },
  });

  return {
    async run(action: PendingAction, ctx: ActionContext): Promise<ActionOutcome> {
      const from = o.agentVersion;
      const parsed = UpgradeAgentDelivery.safeParse(action.payload);
      if (!parsed.success)
        return failed(from, '', `invalid upgrade payload: ${parsed.error.issues[0]?.message}`);
      const { targetVersion: to, sha256, url } = parsed.data;
      if (o.platform === 'kubernetes') {
        return failed(from, to, 'agents on Kubernetes are upgraded by rolling out a new DaemonSet image');
      }
      if (to === from) return { status: 'done', result: { fromVersion: from, toVersion: to } };
      const node = o.nodePath;
      if (node === null) return failed(from, to, EXECUTABLE_UPGRADE_REASON);
      const previousTarget = await o.fs.readlink(currentLink).catch(() => undefined);
      if (!previousTarget)
        return failed(from, to, `this agent is not installed under ${o.installDir} (no current link)`);
      await ctx.saveDetail({ phase: 'received', fromVersion: from, toVersion: to } satisfies UpgradeDetail);
      await ctx.heartbeatNow(5_000);

      const bytes = await download(o, url, sha256);
      if (typeof bytes === 'string') return failed(from, to, bytes);
      const dir = path.join(versionsDir, to);
      const bundle = path.join(dir, BUNDLE_NAME);
      try {
        await o.fs.mkdir(dir, { recursive: true });
        await writeFileAtomic(o.fs, bundle, bytes, { mode: 0o755 });
      } catch (error) {
        return failed(from, to, `cannot install ${bundle}: ${errorMessage(error)}`);
      }
      const reported = await runForOutput(o, node, [bundle, 'version'], 20_000);
      if (reported !== to) {
        return failed(
          from,
          to,
          `release ${to} does not run here (\`version\` printed "${reported.slice(0, 200)}")`,
        );
      }

      await ctx.saveDetail({
        phase: 'switched',
        fromVersion: from,
        toVersion: to,
        previousTarget,
      } satisfies UpgradeDetail);
      try {
        await pointCurrentAt(o.fs, currentLink, path.relative(o.installDir, dir));
        await startWatcher(o, node, path.resolve(o.installDir, previousTarget, BUNDLE_NAME), action.id);
      } catch (error) {
        await pointCurrentAt(o.fs, currentLink, previousTarget).catch(() => undefined);
        return failed(from, to, `cannot switch to the new version: ${errorMessage(error)}`);
      }
      o.log.info('upgrade installed, restarting into the new version', { fromVersion: from, toVersion: to });
      return { status: 'restarting' };
    },

    resume(inFlight: InFlightAction): FinalOutcome {
      const detail = UpgradeDetail.safeParse(inFlight.detail);
      const target = String(inFlight.payload.targetVersion ?? '');
      if (!detail.success)
        return failed(o.agentVersion, target, 'the agent restarted before the upgrade began');
      const { phase, fromVersion, toVersion, reason } = detail.data;
      if (phase === 'received')
        return failed(fromVersion, toVersion, 'the agent restarted before the upgrade was installed');
      if (phase === 'rolled_back') return failed(fromVersion, toVersion, reason ?? 'rolled back');
      if (o.agentVersion === toVersion) return { status: 'done', result: { fromVersion, toVersion } };
      return failed(fromVersion, toVersion, `the agent came back as ${o.agentVersion}, not ${toVersion}`);
    },
  };
}

/**
 * Points the `current` symlink at `target` atomically (new link renamed over the old one).
 * Rejects on I/O errors; `current` then still points where it did.
 */
export async function pointCurrentAt(fs: AgentFs, currentLink: string, target: string): Promise<void> {
  const next = `${currentLink}.next`;
  await fs.rm(next, { force: true });
  await fs.symlink(target, next);
  await fs.rename(next, currentLink);
}

async function download(o: UpgradeOptions, url: string, sha256: string): Promise<Uint8Array | string> {
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const outcome = await o.client.downloadRelease(url, sha256);
    if (outcome.kind === 'ok') return outcome.value.bytes;
    last = `download of ${url} failed: ${outcome.message}`;
    if (outcome.kind === 'fatal') break;
    await sleep(o.clock, 1000 * attempt);
  }
  return last;
}

function runForOutput(o: UpgradeOptions, node: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const child = o.spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env });
    const timer = o.clock.setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', (error) => (out += errorMessage(error)));
    child.once('close', () => {
      o.clock.clearTimeout(timer);
      resolve(out.trim());
    });
  });
}

async function startWatcher(
  o: UpgradeOptions,
  node: string,
  oldBundle: string,
  actionId: string,
): Promise<void> {
  const log = await o.fs.open(o.upgradeLogFile, 'a', 0o640);
  try {
    const child = o.spawn(node, [oldBundle, 'upgrade-watch', ...o.agentArgs], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { ...o.env, [WATCH_ENV]: JSON.stringify({ actionId, agentPid: o.pid }) },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
  } finally {
    await log.close();
  }
}
