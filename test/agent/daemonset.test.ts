/**
 * agent/deploy/daemonset.yaml runs the agent and Vector as non-root with no capabilities; only the
 * one-shot init container that hands the hostPath directories to that user runs as root, with the
 * three capabilities it needs. Host log mounts are read-only.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

async function podSpec(): Promise<Loose> {
  const text = await readFile(new URL('../../agent/deploy/daemonset.yaml', import.meta.url), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Loose);
  return docs.find((d) => d.kind === 'DaemonSet')!.spec.template.spec;
}

describe('DaemonSet privileges', () => {
  it('runs the pod as a non-root user that reads logs through group 0', async () => {
    const spec = await podSpec();
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      supplementalGroups: [0],
    });
  });

  it('drops every capability of the agent container, with a read-only root and read-only log mounts', async () => {
    const spec = await podSpec();
    const agent = spec.containers.find((c: Loose) => c.name === 'agent');
    expect(agent.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    for (const mount of agent.volumeMounts.filter((m: Loose) => m.mountPath.startsWith('/var/log/pods'))) {
      expect(mount.readOnly).toBe(true);
    }
  });

  it('runs only the directory hand-over as root, with CHOWN, FOWNER and DAC_OVERRIDE', async () => {
    const spec = await podSpec();
    const rooted = [...spec.initContainers, ...spec.containers].filter(
      (c: Loose) => c.securityContext?.runAsUser === 0,
    );
    expect(rooted.map((c: Loose) => c.name)).toEqual(['own-dirs']);
    expect(rooted[0].securityContext.capabilities).toEqual({
      drop: ['ALL'],
      add: ['CHOWN', 'FOWNER', 'DAC_OVERRIDE'],
    });
  });
});
