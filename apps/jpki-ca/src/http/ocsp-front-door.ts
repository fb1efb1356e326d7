import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { buildOcspErrorResponse } from '@jpki/pki';
import { createLogger } from '@jpki/observability';
import { answerBeforeRouting, httpErrorBody } from '@jpki/service-kit';
import { OcspService } from '../va/ocsp.service';

const MAX_OCSP_REQUEST_BYTES = 64 * 1024;
const OCSP_PATH = /^\/ocsp\/?(\?|$)/i;

/**
 * `POST /ocsp` with `application/ocsp-request` is answered straight from the HTTP server, before Express and Nest
 * route it: the responder's hottest path (every login and gate entry), and a public binary endpoint with no guard,
 * pipe or body validation to run. Express's and Nest's per-request work cost more CPU than a pre-signed answer itself
 * (the OCSP benchmark: 3,290/s through Nest's pipeline, 5,201/s in a Nest middleware, about 14,300/s answered here).
 * `PkiController` documents the route in OpenAPI and answers every other content type `malformedRequest`.
 */
@Injectable()
export class OcspFrontDoor implements OnApplicationBootstrap {
  private readonly log = createLogger('jpki-ca.ocsp');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ocsp: OcspService,
  ) {}

  onApplicationBootstrap(): void {
    answerBeforeRouting(this.adapterHost.httpAdapter.getHttpServer(), isOcspRequest, (req, res) => this.answer(req, res));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OCSP_REQUEST_BYTES) return void chunks.push(chunk);
      if (res.headersSent) return;
      writeJson(res, 413, { statusCode: 413, reason: 'OCSP_REQUEST_TOO_LARGE', message: `OCSP requests are limited to ${MAX_OCSP_REQUEST_BYTES} bytes` });
      req.destroy();
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const body = Buffer.concat(chunks, size);
      const answer = body.length > 0 ? this.ocsp.respond(body) : Promise.resolve(buildOcspErrorResponse('malformedRequest'));
      answer.then((response) => writeOcspResponse(res, response), (err: unknown) => this.fail(res, err));
    });
    req.on('error', (err) => this.fail(res, err));
  }

  /** What the global exception filter would answer. */
  private fail(res: ServerResponse, err: unknown): void {
    const { status, body } = httpErrorBody(err);
    if (status >= 500) this.log.error({ err }, 'OCSP request failed');
    if (!res.headersSent) writeJson(res, status, body);
  }
}

function isOcspRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && OCSP_PATH.test(req.url ?? '') && (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/ocsp-request');
}

function writeJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const json = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': json.length }).end(json);
}

/** `end`, not Express's `send`: an OCSP answer needs no ETag (a hash of every body) and no conditional-GET check. */
export function writeOcspResponse(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'Content-Type': 'application/ocsp-response', 'Cache-Control': 'no-cache', 'Content-Length': body.length }).end(body);
}
