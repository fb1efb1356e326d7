import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const MAX_OCSP_REQUEST_BYTES = 64 * 1024;

/** Collects an `application/ocsp-request` POST body as a Buffer (the JSON parser leaves it alone). */
@Injectable()
export class OcspRequestBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    if (Buffer.isBuffer(req.body) || !(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/ocsp-request')) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OCSP_REQUEST_BYTES && !failed) {
        failed = true;
        res.status(413).json({ statusCode: 413, reason: 'OCSP_REQUEST_TOO_LARGE', message: `OCSP requests are limited to ${MAX_OCSP_REQUEST_BYTES} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      req.body = Buffer.concat(chunks);
      next();
    });
    req.on('error', (err) => {
      if (!failed) next(err);
    });
  }
}
