/** The diagnostics bundle's redaction and the agent's in-memory log tail (agent/actions/diagnostics.ts, telemetry/log-tail.ts). */
import { describe, expect, it } from 'vitest';
import { redactConfig } from '../../agent/actions/diagnostics.ts';
import { LogTail } from '../../agent/telemetry/log-tail.ts';

describe('diagnostics', () => {
  it('redacts the values of secret-looking keys, block scalars included, and keeps the rest', () => {
    const config = [
      'sinks:',
      '  es:',
      '    type: elasticsearch',
      '    auth:',
      '      strategy: basic',
      '      user: flotilla',
      '      password: "hunter2"',
      '    api_key: abc123',
      '    tls:',
      '      key_pass: |',
      '        multi',
      '        line',
      '      verify_certificate: true',
      '    - token: inline',
    ].join('\n');
    const out = redactConfig(config);
    expect(out).not.toMatch(/hunter2|abc123|multi|inline/);
    expect(out).toContain('      password: "<redacted>"');
    expect(out).toContain('    api_key: "<redacted>"');
    expect(out).toContain('      user: flotilla');
    expect(out).toContain('      verify_certificate: true');
    expect(out).toContain('    auth:');
  });

  it('keeps only the newest lines of the agent log within its bound', () => {
    const tail = new LogTail(10);
    for (const line of ['aaaa\n', 'bbbb\n', 'cccc\n']) tail.push(line);
    expect(tail.text()).toBe('bbbb\ncccc\n');
    tail.push('x'.repeat(25));
    expect(tail.text()).toBe('x'.repeat(10));
  });
});
