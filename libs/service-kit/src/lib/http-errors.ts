import { Catch, HttpException, HttpStatus, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ZodError } from 'zod/v4';
import { createLogger } from '@jpki/observability';
import { bodyParserRefusal, deferredBodyRefusal } from './http-input';

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
export const unsupportedMediaType = (reason: string, message: string, details?: unknown) =>
  new DomainHttpException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, reason, message, details);
export const serviceUnavailable = (reason: string, message: string, details?: unknown) =>
  new DomainHttpException(HttpStatus.SERVICE_UNAVAILABLE, reason, message, details);

/**
 * An error raised by the HTTP stack itself (body parser, router: `http-errors` objects with a 4xx `status`) as the
 * refusal it is; undefined for anything else.
 */
function httpStackRefusal(exception: unknown): { status: number; body: Record<string, unknown> } | undefined {
  if (exception instanceof URIError) {
    return { status: 400, body: { statusCode: 400, reason: 'MALFORMED_URL', message: 'the URL is not valid percent-encoded UTF-8' } };
  }
  const refusal = bodyParserRefusal(exception);
  return refusal ? { status: refusal.getStatus(), body: refusal.getResponse() as Record<string, unknown> } : undefined;
}

/** The status and shared error body an exception is answered with (what HttpErrorFilter sends). */
export function httpErrorBody(exception: unknown): { status: number; body: Record<string, unknown> } {
  if (exception instanceof ZodError) {
    const details = exception.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return { status: 400, body: { statusCode: 400, reason: 'VALIDATION_FAILED', message: 'request validation failed', details } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'reason' in response) return { status, body: response as Record<string, unknown> };
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    // Nest hands the router's URIError on as a BadRequestException with the router's message.
    if (status === 400 && typeof message === 'string' && message.startsWith('Failed to decode param')) return httpStackRefusal(new URIError(message)) ?? { status, body: {} };
    return { status, body: { statusCode: status, reason: HttpStatus[status] ?? 'HTTP_ERROR', message } };
  }
  return httpStackRefusal(exception) ?? { status: 500, body: { statusCode: 500, reason: 'INTERNAL_ERROR', message: 'internal error' } };
}

/**
 * One error body for every API: `{ statusCode, reason, message, details? }`. Validation failures
 * become 400 `VALIDATION_FAILED` with the offending fields; errors of the HTTP stack (a body over the
 * limit, malformed JSON, a URL that is not UTF-8) their precise 4xx (http-input.ts); anything
 * unexpected is a 500 without internals.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = createLogger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    // A route that does not exist, asked with a body that could not be read: the body is the first problem.
    const deferred = exception instanceof NotFoundException && !(exception instanceof DomainHttpException) ? deferredBodyRefusal(host.switchToHttp().getRequest<Request>()) : undefined;
    const { status, body } = httpErrorBody(deferred ?? exception);
    if (status >= 500 && body['reason'] === 'INTERNAL_ERROR') this.log.error({ err: exception }, 'unhandled error');
    const retryAfter = (body['details'] as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if ((status === 429 || status === 503) && typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
    res.status(status).json(body);
  }
}
