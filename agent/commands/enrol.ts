/**
 * `flotilla-agent enrol`: trade a bootstrap token for an agent id + token, store them (token 0600),
 * and start the new identity from a clean config state. `run` uses the same code for auto-enrolment
 * (FLOTILLA_AGENT_API_URL + FLOTILLA_AGENT_TOKEN, e.g. in the Kubernetes DaemonSet).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ErrorCode } from '../../api/protocol/v1.ts';
import { readVectorVersion } from '../supervisor/validate.ts';
import { createBackoff } from '../transport/backoff.ts';
import type { Outcome } from '../transport/client.ts';
import { AGENT_VERSION } from '../version.ts';
import { sleep } from '../clock.ts';
import { ensureDirectories, type Runtime } from './runtime.ts';

export interface Enrolled {
  agentId: string;
  groupId: string;
}

/**
 * Enrols once against settings.apiUrl with settings.token, retrying retryable failures up to
 * `attempts` times with backoff. Resolves ok with the new identity stored, or the last failure
 * (nothing is stored then). Rejects only when the identity cannot be written.
 */
export async function enrolHost(
  rt: Runtime,
  attempts: number,
  signal?: AbortSignal,
): Promise<Outcome<Enrolled>> {
  const { settings, client, store } = rt;
  if (!settings.apiUrl || !settings.token)
    return { kind: 'fatal', message: 'no --api-url and --token to enrol with' };
  await ensureDirectories(rt);
  const body = {
    bootstrapToken: settings.token,
    hostname: (settings.hostname ?? os.hostname()).slice(0, 255),
    platform: settings.platform,
    os: (await osName(rt)).slice(0, 255),
    kernel: os.release().slice(0, 255),
    agentVersion: AGENT_VERSION,
    vectorVersion: await readVectorVersion(rt.vectorCli),
    ...(settings.group ? { groupSlug: settings.group } : {}),
    enrolmentKey: enrolmentKeyOf(rt),
  };
  const backoff = createBackoff(
    { initialMs: settings.backoffInitialMs, maxMs: settings.backoffMaxMs },
    rt.random,
  );
  let outcome = await client.enrol(settings.apiUrl, body, signal);
  for (let i = 1; i < attempts && outcome.kind === 'retryable' && !signal?.aborted; i++) {
    await sleep(rt.clock, backoff.next(outcome.retryAfterMs), signal);
    outcome = await client.enrol(settings.apiUrl, body, signal);
  }
  // Done with, or refused as spent (its agent was heard from or revoked): the next enrolment of
  // this process starts a new agent. Kept through other failures, so its retries replay this one.
  if (outcome.kind === 'ok' || (outcome.kind === 'fatal' && outcome.code === ErrorCode.enrolmentKeyUsed))
    enrolmentKeys.delete(rt);
  if (outcome.kind !== 'ok') return outcome;
  const { agentId, agentToken, groupId } = outcome.value;
  await store.writeIdentity(
    { agentId, groupId, apiUrl: settings.apiUrl, enrolledAt: new Date(rt.clock.now()).toISOString() },
    agentToken,
  );
  await store.load();
  await store.update((s) => {
    s.appliedConfigVersion = 0;
    s.appliedEtag = null;
    s.configError = null;
    s.lastError = null;
  });
  await handOver(rt);
  return { kind: 'ok', value: { agentId, groupId } };
}

/**
 * One random enrolment key per runtime (process), sent with every attempt of an enrolment: a retry
 * whose earlier attempt the server stored but could not answer gets that agent, not a second one.
 */
const enrolmentKeys = new WeakMap<Runtime, string>();

function enrolmentKeyOf(rt: Runtime): string {
  let key = enrolmentKeys.get(rt);
  if (key === undefined) {
    key = randomUUID();
    enrolmentKeys.set(rt, key);
  }
  return key;
}

/** The `enrol` command: prints the outcome; exit 0 on success, 1 on failure. */
export async function enrolCommand(rt: Runtime): Promise<number> {
  const outcome = await enrolHost(rt, 5);
  if (outcome.kind !== 'ok') {
    process.stderr.write(`enrol failed: ${outcome.message}\n`);
    return 1;
  }
  process.stdout.write(
    `enrolled as agent ${outcome.value.agentId} (group ${outcome.value.groupId}); token stored in ${rt.paths.tokenFile}\n` +
      'a running agent picks it up by itself; otherwise start it: systemctl enable --now flotilla-agent\n',
  );
  return 0;
}

async function osName(rt: Runtime): Promise<string> {
  const text = await rt.fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return match ? match[1] : `${os.type()} ${os.release()}`;
}

/**
 * When root enrols for a service that runs as another user (the owner of the config directory),
 * give that user the files just written, or the service could not read its own token.
 */
async function handOver(rt: Runtime): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owners: [string, string[]][] = [
    [rt.settings.configDir, [rt.paths.tokenFile, rt.paths.identityFile]],
    [rt.settings.stateDir, [rt.paths.stateFile]],
  ];
  for (const [dir, files] of owners) {
    const { uid, gid } = await rt.fs.stat(dir);
    if (uid === 0) continue;
    for (const file of files) await rt.fs.chown(file, uid, gid);
  }
}
