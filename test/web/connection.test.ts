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
