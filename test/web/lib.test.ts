/** Pure dashboard helpers: status ageing (threshold from fleetRules), formatting, install commands. */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { agedStatus, humanize } from '../../web/src/lib/status.ts';
import { exactTime, formatDuration, offlineRule, timeAgo } from '../../web/src/lib/time.ts';
import { parseLabel, percent, plural } from '../../web/src/lib/format.ts';
import {
  kubernetesInstallCommands,
  linuxInstallCommand,
  linuxInstallScript,
} from '../../web/src/lib/install.ts';

const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe('status', () => {
  it('keeps the API status, and ages an online answer past the threshold fleetRules gives', () => {
    const threshold = 300;
    const online = (ms: number) => ({ status: 'online' as const, lastHeartbeatAt: ago(ms) });
    expect(agedStatus(online(threshold * 1000), threshold, now)).toBe('online');
    expect(agedStatus(online(threshold * 1000 + 1), threshold, now)).toBe('offline');
    expect(agedStatus(online(threshold * 1000 + 1), null, now)).toBe('online');
    expect(agedStatus({ status: 'offline', lastHeartbeatAt: ago(0) }, threshold, now)).toBe('offline');
    expect(agedStatus({ status: 'never_seen', lastHeartbeatAt: null }, threshold, now)).toBe('never_seen');
  });

  it('the dashboard holds no copy of a server rule: no threshold, no literal page size', async () => {
    const files = (await readdir('web/src', { recursive: true })).filter((f) => /\.(ts|vue)$/.test(f));
    for (const file of files) {
      const text = await readFile(`web/src/${file}`, 'utf8');
      expect(text, file).not.toMatch(/OFFLINE_AFTER|5 \* 60 \* 1000|\bfirst: \d{2,}/);
    }
  });

  it('humanizes enum values', () => {
    expect(humanize('never_seen')).toBe('Never seen');
    expect(humanize('upgrade_agent')).toBe('Upgrade agent');
  });
});

describe('time', () => {
  it('says how long ago, and "never" without a time', () => {
    expect(timeAgo(ago(2000), now)).toBe('just now');
    expect(timeAgo(ago(90_000), now)).toBe('1 min. ago');
    expect(timeAgo(ago(3 * 3600_000), now)).toBe('3 hr. ago');
    expect(timeAgo(null, now)).toBe('never');
  });

  it('gives the exact time with seconds and a zone, and a dash without one', () => {
    expect(exactTime('2026-11-23T11:33:28.000Z')).toMatch(/23 Nov 2026.*\d\d:33:28/);
    expect(exactTime(undefined)).toBe('—');
  });

  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(3 * 3600 + 20 * 60)).toBe('3 h 20 min');
    expect(offlineRule(300)).toBe('Online until 5 min pass without a heartbeat; then offline.');
    expect(formatDuration(2 * 86_400 + 4 * 3600)).toBe('2 d 4 h');
  });
});

describe('format', () => {
  it('counts, pluralises and computes percentages safely', () => {
    expect(plural(1, 'agent')).toBe('1 agent');
    expect(plural(10_000, 'agent')).toBe('10,000 agents');
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 0)).toBe(0);
  });

  it('parses labels', () => {
    expect(parseLabel('env = prod')).toEqual(['env', 'prod']);
    expect(parseLabel('novalue')).toBeNull();
  });
});

describe('install commands', () => {
  it('pipes the server install script to sh with the token, as agent/deploy/install.sh documents', async () => {
    expect(linuxInstallCommand('https://fleet.example.org/', 'EBT_abc')).toBe(
      'curl -fsSL https://fleet.example.org/install.sh | sudo sh -s -- --token EBT_abc',
    );
    const script = await readFile(new URL('../../agent/deploy/install.sh', import.meta.url), 'utf8');
    expect(script).toContain(
      'curl -fsSL https://flotilla.example.com/install.sh | sudo sh -s -- --token EBT_',
    );
  });

  it('installs Vector first with the installer from vector.dev, then the agent', () => {
    const script = linuxInstallScript('https://fleet.example.org', 'EBT_abc');
    const lines = script.split('\n').filter((l) => !l.startsWith('#'));
    expect(lines).toEqual([
      "curl --proto '=https' --tlsv1.2 -sSfL https://sh.vector.dev | bash",
      'curl -fsSL https://fleet.example.org/install.sh | sudo sh -s -- --token EBT_abc',
    ]);
  });

  it('stores the token as the Secret the DaemonSet reads, then applies the DaemonSet the server serves for the group', async () => {
    const commands = kubernetesInstallCommands('https://fleet.example.org/', 'EBT_abc', 'web eu').split('\n');
    expect(commands).toEqual([
      'kubectl create namespace flotilla',
      'kubectl -n flotilla create secret generic flotilla-agent-enrolment --from-literal=token=EBT_abc',
      "kubectl apply -f 'https://fleet.example.org/deploy/daemonset.yaml?group=web%20eu'",
    ]);
    const manifest = await readFile(new URL('../../agent/deploy/daemonset.yaml', import.meta.url), 'utf8');
    expect(manifest).toContain('namespace: flotilla');
    expect(manifest).toContain('name: flotilla-agent-enrolment, key: token');
  });
});
