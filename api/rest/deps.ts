/** What the agent-protocol handlers need; built once by api/app.ts. */
import type { Logger } from 'pino';
import type { TrustedProxies } from '../http/request-info.ts';
import type { FleetContext } from '../fleet/context.ts';
import type { AgentDirectory } from '../fleet/agent-directory.ts';
import type { HeartbeatBuffer } from '../fleet/heartbeats.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { LongPolls } from './long-poll.ts';

export interface RestDeps {
  ctx: FleetContext;
  directory: AgentDirectory;
  heartbeats: HeartbeatBuffer;
  longPolls: LongPolls;
  enrolLimiter: RateLimiter;
  trustProxy: TrustedProxies;
  log: Logger;
}
