import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { histogram, newWorkContext, runInContext } from '@jpki/observability';

export const CORRELATION_HEADER = 'x-correlation-id';
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every HTTP request runs in a work context (correlation id in, out, and on every log line). */
@Injectable()
export class HttpContextMiddleware implements NestMiddleware {
  private readonly duration = histogram('http_request_seconds', 'HTTP request duration', ['method', 'status']);

  use(req: Request, res: Response, next: NextFunction): void {
    const incoming = req.header(CORRELATION_HEADER);
    const ctx = newWorkContext({
      correlationId: incoming && ID.test(incoming) ? incoming : undefined,
      traceparent: req.header('traceparent'),
    });
    res.setHeader(CORRELATION_HEADER, ctx.correlationId);
    const stop = this.duration.startTimer({ method: req.method });
    res.on('finish', () => stop({ status: String(res.statusCode) }));
    runInContext(ctx, () => next());
  }
}
