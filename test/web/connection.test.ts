/**
 * The connection monitor behind the lost-connection banner and the "reconnected" signal that
 * makes live lists catch up.
 */
import { describe, expect, it, vi } from 'vitest';
import { createConnectionMonitor } from '../../web/src/connection-monitor.ts';

const close = (code: number) => ({ code, reason: '' });

describe('connection monitor', () => {
  it('goes connecting → connected without counting a reconnect', () => {
    const m = createConnectionMonitor(() => undefined);
    expect(m.connection.state.value).toBe('idle');
    m.listeners.connecting?.(false);
    expect(m.connection.state.value).toBe('connecting');
    m.listeners.connected?.({}, undefined, false);
    expect(m.connection.state.value).toBe('connected');
    expect(m.connection.reconnects.value).toBe(0);
  });

  it('reports a loss, stays lost while retrying, and signals the reconnect', () => {
    const m = createConnectionMonitor(() => undefined);
    m.listeners.connecting?.(false);
    m.listeners.connected?.({}, undefined, false);
    m.listeners.closed?.(close(1006));
    expect(m.connection.state.value).toBe('lost');
    m.listeners.connecting?.(true);
    expect(m.connection.state.value).toBe('lost');
    m.listeners.connected?.({}, undefined, true);
    expect(m.connection.state.value).toBe('connected');
    expect(m.connection.reconnects.value).toBe(1);
  });

  it('counts a first connect as a catch-up when subscriptions were waiting for it', () => {
    const m = createConnectionMonitor(() => undefined);
    m.listeners.connecting?.(false);
    m.subscribing();
    m.listeners.connected?.({}, undefined, false);
    expect(m.connection.reconnects.value).toBe(1);
    m.subscribing();
    expect(m.connection.reconnects.value).toBe(1);
  });

  it('tells the app when the server refuses the session', () => {
    const refused = vi.fn();
    const m = createConnectionMonitor(refused);
    m.listeners.connecting?.(false);
    m.listeners.closed?.(close(4403));
    expect(refused).toHaveBeenCalledOnce();
  });

  it('is idle again after a deliberate reset, ignoring the close that follows', () => {
    const m = createConnectionMonitor(() => undefined);
    m.listeners.connected?.({}, undefined, false);
    m.reset();
    m.listeners.closed?.(close(1000));
    expect(m.connection.state.value).toBe('idle');
  });
});

describe('connection monitor: giving up', () => {
  it('stops retrying a refused session and reports the stop with its code', () => {
    const m = createConnectionMonitor(() => undefined);
    m.listeners.connecting?.(false);
    m.listeners.connected?.({}, undefined, false);
    expect(m.shouldRetry(close(4403))).toBe(false);
    expect(m.shouldRetry(close(1006))).toBe(true);
    m.listeners.closed?.(close(4429));
    m.gaveUp(close(4429));
    expect(m.connection.state.value).toBe('stopped');
    expect(m.connection.stopped.value).toEqual({ code: 4429, reason: '' });
    // A later attempt (a new subscription) does not turn "stopped" back into "connecting"...
    m.listeners.connecting?.(true);
    m.listeners.closed?.(close(1006));
    expect(m.connection.state.value).toBe('stopped');
    // ...until it succeeds.
    m.listeners.connected?.({}, undefined, true);
    expect(m.connection.state.value).toBe('connected');
    expect(m.connection.stopped.value).toBeNull();
  });

  it('ignores giving up after a deliberate reset', () => {
    const m = createConnectionMonitor(() => undefined);
    m.listeners.connected?.({}, undefined, false);
    m.reset();
    m.gaveUp(new Error('disposed'));
    expect(m.connection.state.value).toBe('idle');
  });
});
