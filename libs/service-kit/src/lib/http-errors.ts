import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ZodError } from 'zod/v4';
import { createLogger } from '@jpki/observability';

/** A refusal with a machine-readable reason, e.g. 409 `PHONE_ALREADY_ENROLLING`. */
export class DomainHttpException extends HttpException {
  constructor(status: HttpStatus, readonly reason: string, message: string, readonly details?: unknown) {
    super({ statusCode: status, reason, message, details }, status);
  }
}

export const badRequest = (reason: string, message: string, details?: unknown) =>
  new DomainHttpException(HttpStatus.BAD_REQUEST, reason, message, details);
export const notFound = (reason: string, message: string) => new DomainHttpException(HttpStatus.NOT_FOUND, reason, message);
export const conflict = (reason: string, message: string, details?: unknown) =>
  new DomainHttpException(HttpStatus.CONFLICT, reason, message, details);
export const unprocessable = (reason: string, message: string, details?: unknown) =>
  new DomainHttpException(HttpStatus.UNPROCESSABLE_ENTITY, reason, message, details);

/**
 * One error body for every API: `{ statusCode, reason, message, details? }`. Validation failures
 * become 400 `VALIDATION_FAILED` with the offending fields; anything unexpected is a 500 without
 * internals.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = createLogger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toBody(exception);
    if (status >= 500) this.log.error({ err: exception }, 'unhandled error');
    res.status(status).json(body);
  }

  private toBody(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof ZodError) {
      const details = exception.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return { status: 400, body: { statusCode: 400, reason: 'VALIDATION_FAILED', message: 'request validation failed', details } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null && 'reason' in response) return { status, body: response as Record<string, unknown> };
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return { status, body: { statusCode: status, reason: HttpStatus[status] ?? 'HTTP_ERROR', message } };
    }
    return { status: 500, body: { statusCode: 500, reason: 'INTERNAL_ERROR', message: 'internal error' } };
  }
}
