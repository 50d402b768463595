/**
 * The server's structured logger (pino, JSON lines). Secrets are redacted by path, and no code
 * logs a token or a password on purpose.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

/** Create the process logger at `level`. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'flotilla' },
    redact: {
      paths: [
        '*.password',
        '*.token',
        '*.agentToken',
        '*.bootstrapToken',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
}
