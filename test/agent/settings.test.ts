import { describe, expect, it } from 'vitest';
import { agentPaths } from '../../agent/paths.ts';
import { DEFAULT_METRICS_PORT, UsageError, parseCommandLine } from '../../agent/settings.ts';
import { parseDuration } from '../../api/protocol/duration.ts';

describe('settings', () => {
  it('uses the protocol.md paths and intervals by default', () => {
    const { command, settings } = parseCommandLine(['run'], {});
    expect(command).toBe('run');
    expect(settings).toMatchObject({
      configDir: '/etc/flotilla-agent',
      stateDir: '/var/lib/flotilla-agent',
      logDir: '/var/log/flotilla-agent',
      vectorDataDir: '/var/lib/flotilla-agent/vector',
      pollIntervalMs: 10_000,
      heartbeatIntervalMs: 30_000,
      platform: 'linux',
      serviceManager: 'none',
      metricsPort: DEFAULT_METRICS_PORT,
    });
    expect(agentPaths(settings).tokenFile).toBe('/etc/flotilla-agent/agent-token');
    expect(agentPaths(settings).configFile).toBe('/var/lib/flotilla-agent/vector.yaml');
  });

  it('takes every value from FLOTILLA_AGENT_* and lets a flag win over the environment', () => {
    const env = {
      FLOTILLA_AGENT_STATE_DIR: '/tmp/env-state',
      FLOTILLA_AGENT_POLL_INTERVAL: '2s',
      INVOCATION_ID: 'x',
    };
    const { settings } = parseCommandLine(
      ['run', '--poll-interval', '250ms', '--heartbeat-interval=1m'],
      env,
    );
    expect(settings.stateDir).toBe('/tmp/env-state');
    expect(settings.vectorDataDir).toBe('/tmp/env-state/vector');
    expect(settings.pollIntervalMs).toBe(250);
    expect(settings.heartbeatIntervalMs).toBe(60_000);
    expect(settings.serviceManager).toBe('systemd');
    expect(parseCommandLine(['run'], { FLOTILLA_AGENT_METRICS_PORT: '0' }).settings.metricsPort).toBe(0);
  });

  it('takes booleans bare or as =true / =false, from a flag or the environment', () => {
    expect(parseCommandLine(['status', '--json'], {}).settings.json).toBe(true);
    expect(parseCommandLine(['status', '--json=false'], { FLOTILLA_AGENT_JSON: 'true' }).settings.json).toBe(
      false,
    );
    expect(parseCommandLine(['status'], { FLOTILLA_AGENT_JSON: 'true' }).settings.json).toBe(true);
  });

  it('detects Kubernetes from the service environment', () => {
    expect(parseCommandLine(['run'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).settings.platform).toBe(
      'kubernetes',
    );
  });

  it.each([
    [['frobnicate'], /unknown command/],
    [[], /missing command/],
    [['run', '--nope'], /unknown option --nope/],
    [['run', '--state-dir'], /needs a value/],
    [['run', 'extra'], /unexpected argument/],
    [['run', '--', 'extra'], /unexpected argument/],
    [['run', '-x'], /unknown option -x/],
    [['run', '--json=maybe'], /use true or false/],
    [['run', '--long-poll', '61'], /between 0 and 60 seconds/],
    [['run', '--metrics-port', '65536'], /--metrics-port must be between 0 and 65535/],
    [['run', '--long-poll', 'soon'], /not a non-negative integer/],
    [['run', '--poll-interval', 'soon'], /not a duration/],
    [['run', '--platform', 'windows'], /not linux or kubernetes/],
    [['enrol', '--token', 'EBT_x'], /needs --api-url/],
    [['enrol', '--api-url', 'http://x'], /needs --token/],
    [['enrol', '--api-url', 'ftp://x', '--token', 'EBT_x'], /must be http/],
    [['enrol', '--api-url', 'http://x', '--token', 'AGT_x'], /bootstrap token/],
  ])('rejects %j with a message naming the problem', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(UsageError);
    expect(() => parseCommandLine(argv, {})).toThrow(message);
  });

  it('normalises the server URL', () => {
    const { settings } = parseCommandLine(['enrol', '--api-url', 'http://h:1/', '--token', 'EBT_a'], {});
    expect(settings.apiUrl).toBe('http://h:1');
  });

  it('parses durations with units, bare numbers as seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('-1s')).toBeUndefined();
  });
});
