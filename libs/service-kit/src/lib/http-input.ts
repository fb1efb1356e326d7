/**
 * Bad input at the HTTP edge of every service, answered with a precise 4xx before anything reaches a handler or the
 * database: bodies over HTTP_BODY_LIMIT_BYTES (413 PAYLOAD_TOO_LARGE), bodies that are not JSON (400 MALFORMED_JSON),
 * NUL bytes and unpaired UTF-16 surrogates in a path parameter, a query parameter or any string or key of the body
 * (400 INPUT_CONTAINS_NUL / INPUT_INVALID_UNICODE: PostgreSQL stores neither in text or jsonb), and bodies nested
 * deeper than any API needs (400 INPUT_TOO_DEEP).
 *
 * Body errors are not answered where the parser meets them (before routing) but remembered on the request and raised
 * by the global interceptor, inside the route: a controller's own exception filter (lifecycle audits every refused
 * operator call) sees them like any other refusal. The role guard runs first, so an unauthenticated call is still 401.
 */
import {
  HttpStatus,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { DomainHttpException } from './http-errors';

/** JSON nesting no API of the platform comes near (their bodies are 1–3 levels deep). */
export const MAX_INPUT_DEPTH = 32;

const BODY_ERROR = Symbol('jpki.bodyError');

interface BodyParserError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  limit?: number;
  length?: number;
  charset?: string;
  encoding?: string;
}

type WithBodyError = Request & { [BODY_ERROR]?: DomainHttpException };

/**
 * The refusal for an error of the body parser (body-parser / raw-body `type`s), or undefined for an error that is not
 * the client's (a server-side misuse of the stream stays a 500).
 */
export function bodyParserRefusal(err: unknown): DomainHttpException | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as BodyParserError;
  const status = e.status ?? e.statusCode;
  switch (e.type) {
    case 'entity.too.large':
      return new DomainHttpException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'PAYLOAD_TOO_LARGE',
        `the request body${e.length !== undefined ? ` (${e.length} bytes)` : ''} exceeds the limit of ${e.limit} bytes`,
        { limitBytes: e.limit },
      );
    case 'entity.parse.failed':
      return new DomainHttpException(HttpStatus.BAD_REQUEST, 'MALFORMED_JSON', `the request body is not a JSON object or array: ${e.message}`);
    case 'charset.unsupported':
      return new DomainHttpException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_CHARSET', `charset ${e.charset ?? '?'} is not accepted; send UTF-8`);
    case 'encoding.unsupported':
      return new DomainHttpException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_CONTENT_ENCODING', `content encoding ${e.encoding ?? '?'} is not accepted`);
    case 'request.aborted':
      return new DomainHttpException(HttpStatus.BAD_REQUEST, 'REQUEST_ABORTED', 'the client aborted the request body');
    case 'request.size.invalid':
      return new DomainHttpException(HttpStatus.BAD_REQUEST, 'BODY_LENGTH_MISMATCH', 'the request body does not have the length its Content-Length header declares');
    default:
      if (status !== undefined && status >= 400 && status < 500 && e.expose !== false) {
        return new DomainHttpException(status, HttpStatus[status] ?? 'BAD_REQUEST', e.message);
      }
      return undefined;
  }
}

/**
 * JSON bodies up to `limitBytes` (a larger declared Content-Length is refused without reading the body), and the
 * hand-over of parser errors to the route (see above). Call before `app.init()`; the app is created with
 * `bodyParser: false`.
 */
export function installJsonBodyParsing(app: INestApplication, limitBytes: number): void {
  (app as NestExpressApplication).useBodyParser('json', { limit: limitBytes });
  app.use((err: unknown, req: WithBodyError, _res: Response, next: NextFunction) => {
    const refusal = bodyParserRefusal(err);
    if (!refusal) return next(err);
    req[BODY_ERROR] = refusal;
    req.body = undefined;
    next();
  });
}

/** The body refusal remembered for this request, if its body could not be read. */
export function deferredBodyRefusal(req: unknown): DomainHttpException | undefined {
  return (req as WithBodyError | undefined)?.[BODY_ERROR];
}

/** True when the request carries a body (RFC 9112 §6.3: Transfer-Encoding, or a non-zero Content-Length). */
export function requestHasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export interface InputProblem {
  reason: 'INPUT_CONTAINS_NUL' | 'INPUT_INVALID_UNICODE' | 'INPUT_TOO_DEEP';
  /** e.g. `query.actor`, `path.caseId`, `body.items.0.name` (escaped with printable()). */
  where: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(value: string): InputProblem['reason'] | undefined {
  if (value.includes('\u0000')) return 'INPUT_CONTAINS_NUL';
  if (LONE_SURROGATE.test(value)) return 'INPUT_INVALID_UNICODE';
  return undefined;
}

/**
 * The first NUL byte, unpaired surrogate (in a value or a key) or over-deep nesting in `root`; iterative, so a body
 * nested 100,000 levels deep costs a loop, not the stack.
 */
export function findInputProblem(root: unknown, location: string, maxDepth = MAX_INPUT_DEPTH): InputProblem | undefined {
  const pending: [unknown, string, number][] = [[root, location, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, where, depth] = next;
    if (typeof value === 'string') {
      const reason = stringProblem(value);
      if (reason) return { reason, where: printable(where, 200) };
      continue;
    }
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) continue;
    if (depth >= maxDepth) return { reason: 'INPUT_TOO_DEEP', where: printable(where, 200) };
    for (const [key, child] of Object.entries(value)) {
      const keyReason = stringProblem(key);
      if (keyReason) return { reason: keyReason, where: printable(`${where}.${key}[key]`, 200) };
      pending.push([child, `${where}.${key}`, depth + 1]);
    }
  }
  return undefined;
}

const PROBLEM_TEXT: Record<InputProblem['reason'], string> = {
  INPUT_CONTAINS_NUL: 'contains a NUL character (U+0000), which no field accepts',
  INPUT_INVALID_UNICODE: 'contains an unpaired UTF-16 surrogate (not a Unicode character)',
  INPUT_TOO_DEEP: `is nested deeper than ${MAX_INPUT_DEPTH} levels`,
};

/** The refusal for the first problem in the request's path parameters, query and body, if any. */
export function requestInputRefusal(req: Request): DomainHttpException | undefined {
  const problem =
    findInputProblem(req.params, 'path') ??
    findInputProblem(req.query, 'query') ??
    (Buffer.isBuffer(req.body) ? undefined : findInputProblem(req.body, 'body'));
  if (!problem) return undefined;
  return new DomainHttpException(HttpStatus.BAD_REQUEST, problem.reason, `${problem.where} ${PROBLEM_TEXT[problem.reason]}`, { where: problem.where });
}

/**
 * Global (every route of every service, after the guards): raises the body refusal the parser left, then refuses
 * NUL bytes, unpaired surrogates and over-deep nesting anywhere in the input.
 */
@Injectable()
export class RequestInputInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() === 'http') {
      const req = ctx.switchToHttp().getRequest<Request>();
      const refusal = deferredBodyRefusal(req) ?? requestInputRefusal(req);
      if (refusal) throw refusal;
    }
    return next.handle();
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const UNSTORABLE = /[\u0000-\u001f\u007f\\]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `value` safe for a text column, a jsonb value or a log line, and unambiguous: control characters (NUL included),
 * unpaired surrogates and the backslash itself become `\uXXXX` escapes, so `a\u0000` (six characters typed by a
 * caller) and `a` + NUL read differently. Cut to `maxLength` characters (with `…`) when given.
 */
export function printable(value: string, maxLength?: number): string {
  const escaped = value.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return maxLength !== undefined && escaped.length > maxLength ? `${escaped.slice(0, Math.max(0, maxLength - 1))}…` : escaped;
}

/** `printable` applied to every string (and key) of a JSON-like value, for jsonb columns. */
export function printableJson<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return printable(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_INPUT_DEPTH) return '[nested too deep]' as T;
  if (Array.isArray(value)) return value.map((v) => printableJson(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [printable(k), printableJson(v, depth + 1)])) as T;
}
