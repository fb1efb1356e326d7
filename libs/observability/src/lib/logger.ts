import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentContext } from './context';

/**
 * Field names whose values are secrets. Pino replaces them before serialisation, so a key that
 * slips into a log call is still never written.
 */
const REDACTED_KEYS = [
  'privateKey', 'privateKeyPem', 'pkcs8', 'enc', 'mac', 'dek', 'keys', 'keyset', 'pin', 'newPin', 'password', 'userAuthenticationPin', 'cardPin', 'phonePin',
  'signingPassword', 'sessionKeys', 'contentKey', 'kek', 'secret', 'authorization',
];
const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(
  service: string,
  level = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    mixin: () => {
      const ctx = currentContext();
      if (!ctx) return {};
      return { correlationId: ctx.correlationId, causationId: ctx.causationId, messageId: ctx.messageId, traceparent: ctx.traceparent };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** NestJS LoggerService over pino: Nest's own lines become structured JSON too. */
export class JsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
