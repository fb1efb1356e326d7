import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { histogram, newWorkContext, runInContext } from '@jpki/observability';

export const CORRELATION_HEADER = 'x-correlation-id';
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every HTTP request runs in a work context (correlation id in, out, and on every log line). */
@Injectable()
export class HttpContextMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    inHttpContext(req, res, next);
  }
}

const duration = () => histogram('http_request_seconds', 'HTTP request duration', ['method', 'status']);

/** Runs `handle` in the request's work context: its correlation id (the caller's, if valid) answered back, its duration measured. */
export function inHttpContext(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const incoming = req.headers[CORRELATION_HEADER];
  const ctx = newWorkContext({
    correlationId: typeof incoming === 'string' && ID.test(incoming) ? incoming : undefined,
    traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
  });
  res.setHeader(CORRELATION_HEADER, ctx.correlationId);
  const stop = duration().startTimer({ method: req.method });
  res.on('finish', () => stop({ status: String(res.statusCode) }));
  runInContext(ctx, handle);
}

/**
 * Answers the requests `matches` picks straight from the HTTP server, before Express and Nest route them (in the
 * request's work context, see `inHttpContext`); every other request goes on to the application as before. For a hot,
 * public binary endpoint only: no guard, pipe, interceptor or exception filter runs for it, so `answer` owns its errors.
 */
export function answerBeforeRouting(
  server: Server,
  matches: (req: IncomingMessage) => boolean,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const application = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (matches(req)) inHttpContext(req, res, () => answer(req, res));
    else for (const listener of application) listener.call(server, req, res);
  });
}
