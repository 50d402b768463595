/** `POST /api/v1/agents/enrol`: a bootstrap token buys an agent id and its AGT_ token. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EnrolRequest, ErrorCode, type EnrolResponse } from '../protocol/v1.ts';
import { enrolAgent } from '../fleet/agents.ts';
import { clientAddress } from '../http/request-info.ts';
import { HttpError, readJson, sendJson } from './http.ts';
import type { RestDeps } from './deps.ts';

/** Handle an enrolment. Rate-limited per client address (429 with Retry-After). */
export async function enrol(deps: RestDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const wait = await deps.enrolLimiter.hit(clientAddress(req, deps.trustProxy));
  if (wait > 0) {
    throw new HttpError(
      429,
      ErrorCode.rateLimited,
      `too many enrolments from this address; retry in ${wait} s`,
      {
        'retry-after': String(wait),
      },
    );
  }
  const body = await readJson(req, EnrolRequest);
  const enrolled = await enrolAgent(deps.ctx, body);
  const response: EnrolResponse = {
    data: {
      agentId: enrolled.agent.id,
      agentToken: enrolled.agentToken,
      groupId: enrolled.agent.groupId,
      configVersion: enrolled.configVersion,
    },
  };
  deps.log.info({ agentId: enrolled.agent.id, hostname: enrolled.agent.hostname }, 'agent enrolled');
  sendJson(res, 201, response);
}
