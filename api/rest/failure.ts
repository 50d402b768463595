/**
 * Turns any failure of an agent route into the protocol's error answer: HttpError as is, FleetError
 * codes mapped to their statuses, anything else logged with the request id and answered 500.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/v1.ts';
import { FleetError, FleetErrorCode } from '../fleet/errors.ts';
import { HttpError, sendError } from './http.ts';

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  [FleetErrorCode.validationFailed]: 400,
  [FleetErrorCode.releaseNotFound]: 404,
  [FleetErrorCode.bootstrapTokenInvalid]: 401,
  [FleetErrorCode.bootstrapTokenExpired]: 401,
  [FleetErrorCode.bootstrapTokenExhausted]: 401,
  [FleetErrorCode.tokenRevoked]: 403,
  [FleetErrorCode.forbidden]: 403,
  [FleetErrorCode.groupOverrideForbidden]: 403,
  [FleetErrorCode.groupNotFound]: 404,
  [FleetErrorCode.agentNotFound]: 404,
  [FleetErrorCode.versionNotFound]: 404,
  [FleetErrorCode.actionNotFound]: 404,
  [FleetErrorCode.actionNotActive]: 409,
  [FleetErrorCode.candidateUnavailable]: 409,
  [FleetErrorCode.conflict]: 409,
  [FleetErrorCode.enrolmentKeyUsed]: 409,
  [FleetErrorCode.invalidTransition]: 409,
};

/** Answer `error` on `res` (or drop the connection when the answer already started). Never throws. */
export function sendFailure(res: ServerResponse, error: unknown, log: Logger, req: IncomingMessage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendError(res, error.status, error.code, error.message, error.headers);
  } else if (error instanceof FleetError) {
    sendError(res, STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
  } else {
    const requestId = String(res.getHeader('x-request-id') ?? crypto.randomUUID());
    res.setHeader('x-request-id', requestId);
    log.error(
      { err: error, requestId, method: req.method, url: req.url?.split('?')[0] },
      'agent route failed',
    );
    sendError(res, 500, ErrorCode.internal, `internal error (request id ${requestId})`);
  }
}
