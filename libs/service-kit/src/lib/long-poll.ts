import { applyDecorators, createParamDecorator, Get, Injectable, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';

/**
 * A conditional read that may wait (long polling): the client sends the ETag it has (`If-None-Match`) and how long it
 * will wait for a change (`Prefer: wait=<seconds>`, RFC 7240). The answer is the resource as soon as its version differs
 * (200 with a new ETag), or 304 Not Modified when the wait ran out; a finished resource is answered at once.
 */
export interface VersionedRead {
  /** The version the client has, from `If-None-Match` (undefined when absent or not one of ours). */
  readonly seenVersion?: number;
  /** How long to wait for a change: `Prefer: wait`, at most MAX_WAIT_MS, 0 without a seen version. */
  readonly waitMs: number;
}

export const MAX_WAIT_MS = 25_000;

export function versionedRead(ifNoneMatch: string | undefined, prefer: string | undefined): VersionedRead {
  const seen = /^(?:W\/)?"v(\d{1,9})"$/.exec(ifNoneMatch?.trim() ?? '');
  if (!seen) return { waitMs: 0 };
  const wait = /(?:^|[,;\s])wait\s*=\s*(\d{1,5})(?:$|[,;\s])/i.exec(prefer ?? '');
  return { seenVersion: Number(seen[1]), waitMs: wait ? Math.min(Number(wait[1]) * 1000, MAX_WAIT_MS) : 0 };
}

/** The request's `If-None-Match` and `Prefer: wait` as a VersionedRead. */
export const ReadVersion = createParamDecorator((_: unknown, ctx: ExecutionContext): VersionedRead => readOf(ctx.switchToHttp().getRequest<Request>()));

const readOf = (req: Request) => versionedRead(req.header('if-none-match'), req.header('prefer'));

/** What a versioned GET handler returns: the body and the version it shows. */
export interface Versioned<T> {
  readonly body: T;
  readonly version: number;
}

/** Sets the ETag of the answered version; 304 without a body when the client already has it. */
@Injectable()
class VersionedAnswer implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler<Versioned<unknown>>): Observable<unknown> {
    const read = readOf(ctx.switchToHttp().getRequest<Request>());
    const res = ctx.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((answer) => {
        res.setHeader('ETag', `"v${answer.version}"`);
        if (read.seenVersion !== answer.version) return answer.body;
        res.status(304);
        return undefined;
      }),
    );
  }
}

/**
 * A GET answered by version, with its OpenAPI: the handler takes `@ReadVersion()` (to wait for a change) and returns
 * `Versioned<T>`; the answer carries the ETag, or is 304 when the client's version is still current.
 */
export function VersionedGet(path?: string): MethodDecorator {
  return applyDecorators(
    Get(path),
    UseInterceptors(VersionedAnswer),
    ApiHeader({ name: 'If-None-Match', required: false, description: 'the ETag of the version the client has' }),
    ApiHeader({ name: 'Prefer', required: false, description: `wait=<seconds> (RFC 7240): with If-None-Match, wait up to that long (at most ${MAX_WAIT_MS / 1000} s) for a change` }),
    ApiResponse({ status: 304, description: 'not modified: the version in If-None-Match is still current after the wait' }),
  );
}
