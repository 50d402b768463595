/**
 * An agent's config state as the dashboard words it: desired (and why), delivered, applied and
 * failed, each with its version and time. The API computes every value; this only words them.
 */
import { timeAgo } from './time.ts';

/** The config fields of an agent the lines are made of (see the Agent type in the GraphQL schema). */
export interface ConfigStateFields {
  desiredConfigVersion: number;
  configPin?: { version: number } | null;
  deliveredConfigVersion?: number | null;
  deliveredAt?: string | null;
  appliedConfigVersion: number;
  appliedAt?: string | null;
  configError?: { version: number; message: string; at?: string | null } | null;
}

export interface ConfigStateLine {
  key: 'desired' | 'delivered' | 'applied' | 'failed';
  label: string;
  text: string;
}

/** Desired / delivered / applied / failed lines of an agent as of `now` (failed only when it has an error). */
export function configStateLines(a: ConfigStateFields, now: Date): ConfigStateLine[] {
  const when = (at: string | null | undefined) => (at ? `, ${timeAgo(at, now)}` : '');
  const lines: ConfigStateLine[] = [
    {
      key: 'desired',
      label: 'Desired',
      text: `v${a.desiredConfigVersion}${a.configPin ? ' (pinned by a rollout)' : ''}`,
    },
    {
      key: 'delivered',
      label: 'Delivered',
      text:
        a.deliveredConfigVersion === null || a.deliveredConfigVersion === undefined
          ? 'not yet'
          : `v${a.deliveredConfigVersion}${when(a.deliveredAt)}`,
    },
    {
      key: 'applied',
      label: 'Applied',
      text: a.appliedConfigVersion > 0 ? `v${a.appliedConfigVersion}${when(a.appliedAt)}` : 'none yet',
    },
  ];
  if (a.configError)
    lines.push({
      key: 'failed',
      label: 'Failed',
      text: `v${a.configError.version}${when(a.configError.at)}: ${a.configError.message}`,
    });
  return lines;
}
