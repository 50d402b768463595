/**
 * A test hook on the server's heartbeat buffer: records the newest parsed heartbeat (telemetry
 * included) each agent's heartbeat route handed to the fleet, then lets the buffer do its work.
 */
import type { HeartbeatBuffer } from '../../api/fleet/heartbeats.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';

/** Start recording what `buffer` receives; the map is updated as heartbeats arrive. */
export function recordHeartbeats(buffer: HeartbeatBuffer): Map<string, ParsedHeartbeat> {
  const received = new Map<string, ParsedHeartbeat>();
  const add = buffer.add.bind(buffer);
  buffer.add = (agent, body, now) => {
    received.set(agent.id, body);
    add(agent, body, now);
  };
  return received;
}
