/**
 * Component policy: which components need an admin's consent, per group. Hosts are a security
 * boundary: an editor's pipeline runs on every host of the group, as the agent user under systemd
 * and as uid 1000 in the DaemonSet (root before), so what that pipeline may execute, and which
 * local paths it may read or write, is decided here and not left to accident.
 *
 * Guarded component types (allowed only where an admin enabled them for the group, audited):
 * - `source:exec` runs any command on every host of the group.
 * - `sink:file` writes events to any local path Vector can write (e.g. `/etc/flotilla-agent/agent.env`,
 *   which the agent sources at start: a write there is code execution as the agent).
 *
 * Not guarded, but path-checked (policy-paths.ts): the `file` source (`include`, reading logs is
 * the main use, but never the agent's token), `journald` (`journal_directory`, and
 * `journalctl_path`, which runs a program and so needs `source:exec`), `kubernetes_logs`
 * (`kube_config_file`), and unix-socket listeners of `socket`, `syslog` and `fluent` (they create
 * a socket file). Not guarded at all: listeners on ports (`http_server`, `splunk_hec`, `socket`
 * tcp/udp, `vector`, …) and `prometheus_exporter` (they open a port, they do not touch the host's
 * files or run code), `docker_logs` (reads container logs through the Docker API), `console`,
 * `stdin`. Transforms are not checked here: they run inside Vector on the events it already has
 * (the catalogue has no `lua` or `exec`-like transform); the policy applies to a pipeline's enabled
 * sources and sinks when a version is published (pipeline/versions.ts).
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { Group } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, type FieldIssue } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { findGroupForUpdate } from './group-lock.ts';
import { publishedDocument } from './publish.ts';
import { parseInput } from './validate.ts';
import { roleAtLeast } from './users.ts';
import { PATH_OPTIONS, pathProblem, pathValues, prefixProblem } from './policy-paths.ts';
import { getOption } from './vector/conditions.ts';

export {
  ALWAYS_DENIED_PREFIXES,
  DEFAULT_READ_DENIED_PREFIXES,
  DEFAULT_WRITE_DENIED_PREFIXES,
} from './policy-paths.ts';

export interface GuardedComponent {
  /** `<kind>:<type>`, as stored in `groups.allowed_components`. */
  key: string;
  kind: 'source' | 'sink';
  type: string;
  reason: string;
}

/** The component types an admin must enable per group. Written once; the dashboard reads it from the API. */
export const GUARDED_COMPONENTS: readonly GuardedComponent[] = [
  {
    key: 'source:exec',
    kind: 'source',
    type: 'exec',
    reason: 'runs any command on every host of the group, as the user Vector runs as',
  },
  {
    key: 'sink:file',
    kind: 'sink',
    type: 'file',
    reason: 'writes events to local files on every host, e.g. over the agent’s own settings',
  },
];

const GUARDED_KEYS = GUARDED_COMPONENTS.map((c) => c.key) as [string, ...string[]];

/** What a group allows; the three policy columns of `groups`. */
export type GroupPolicy = Pick<Group, 'allowedComponents' | 'readPathPrefixes' | 'writePathPrefixes'>;

/**
 * Check one input (`source`) or output (`sink`) against its group's policy. Returns the error to
 * throw (component_not_allowed naming `type` or the option; else path_not_allowed listing every
 * bad path field), or null when the component is allowed. Never throws.
 */
export function policyViolation(
  policy: GroupPolicy,
  kind: 'source' | 'sink',
  type: string,
  options: Record<string, unknown>,
): FleetError | null {
  const key = `${kind}:${type}`;
  const allowed = (k: string) => policy.allowedComponents.includes(k);
  if (GUARDED_KEYS.includes(key) && !allowed(key)) {
    return new FleetError(
      FleetErrorCode.componentNotAllowed,
      `type: ${kind} "${type}" is not enabled for this group; an admin can enable it in the group's component policy`,
      [{ path: 'type', message: `${type} needs an admin's consent for this group` }],
    );
  }
  const issues: FieldIssue[] = [];
  for (const spec of PATH_OPTIONS.filter((p) => p.kind === kind && p.type === type)) {
    for (const [path, value] of pathValues(options, spec.option)) {
      if (spec.access === 'run') {
        if (!allowed('source:exec')) {
          return new FleetError(
            FleetErrorCode.componentNotAllowed,
            `${path}: ${type}.${spec.option} runs a program; allowed only where an admin enabled exec`,
            [{ path, message: 'runs a program: needs exec enabled for this group' }],
          );
        }
        continue;
      }
      const full = fileSinkPath(kind, type, spec.option, value, options);
      const prefixes = spec.access === 'read' ? policy.readPathPrefixes : policy.writePathPrefixes;
      const problem = pathProblem(full, spec.access, prefixes);
      if (problem) issues.push({ path, message: problem });
    }
  }
  if (issues.length === 0) return null;
  return new FleetError(FleetErrorCode.pathNotAllowed, `${issues[0].path}: ${issues[0].message}`, issues);
}

/** The file sink's `path` is relative to `base_dir` when that is set. */
function fileSinkPath(
  kind: string,
  type: string,
  option: string,
  value: string,
  options: Record<string, unknown>,
): string {
  const baseDir = getOption(options, 'base_dir');
  if (kind !== 'sink' || type !== 'file' || option !== 'path' || value.startsWith('/')) return value;
  return typeof baseDir === 'string' ? `${baseDir.replace(/\/+$/, '')}/${value}` : value;
}

const Prefixes = z
  .array(z.string().max(512))
  .max(50)
  .superRefine((list, ctx) => {
    list.forEach((prefix, i) => {
      const problem = prefixProblem(prefix);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
  });

export const SetGroupComponentPolicyInput = z.object({
  groupId: z.uuid(),
  allowedComponents: z.array(z.enum(GUARDED_KEYS)).max(GUARDED_KEYS.length),
  readPathPrefixes: Prefixes,
  writePathPrefixes: Prefixes,
});

const snapshot = (g: GroupPolicy) => ({
  allowedComponents: g.allowedComponents,
  readPathPrefixes: g.readPathPrefixes,
  writePathPrefixes: g.writePathPrefixes,
});

/**
 * Replace a group's component policy (admins only; audited as `group.policy`). Refused with
 * conflict, naming each component, when an enabled source or sink of the published pipeline would break the new
 * policy: change or remove those first. Fails with forbidden, validation_failed or
 * group_not_found; nothing is written then. The config is not republished (it does not change).
 */
export async function setGroupComponentPolicy(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<Group> {
  if (!roleAtLeast(actor.role, 'admin')) {
    throw new FleetError(FleetErrorCode.forbidden, 'only an admin can change a group’s component policy');
  }
  const data = parseInput(SetGroupComponentPolicyInput, input);
  const policy: GroupPolicy = {
    allowedComponents: [...new Set(data.allowedComponents)].sort(),
    readPathPrefixes: [...new Set(data.readPathPrefixes.map(trimSlash))],
    writePathPrefixes: [...new Set(data.writePathPrefixes.map(trimSlash))],
  };
  return inTransaction(ctx, async (tx, emit) => {
    const before = await findGroupForUpdate(tx, data.groupId);
    const { components } = await publishedDocument(tx, data.groupId);
    const breaking = components.flatMap((c) => {
      if (c.kind === 'transform' || !c.enabled) return [];
      const violation = policyViolation(policy, c.kind, c.type, c.options);
      return violation ? [`${c.kind} "${c.id}" (${violation.message})`] : [];
    });
    if (breaking.length > 0) {
      const message = `the new policy would break ${breaking.join('; ')}: change or remove them first`;
      throw new FleetError(FleetErrorCode.conflict, message, [{ path: 'allowedComponents', message }]);
    }
    const after = await tx.group.update({ where: { id: data.groupId }, data: policy });
    await recordAudit(
      tx,
      actor,
      'group.policy',
      { type: 'group', id: data.groupId },
      snapshot(before),
      snapshot(after),
    );
    emit('groupUpdated', { groupId: data.groupId });
    return after;
  });
}

const trimSlash = (prefix: string) => (prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix);
