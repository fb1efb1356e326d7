import { HttpStatus } from '@nestjs/common';
import type { Request } from 'express';
import { DomainHttpException } from '@jpki/service-kit';

/** Header the console's own pages send on every state-changing call; a cross-site form cannot set it. */
export const CONSOLE_REQUEST_HEADER = 'x-console-request';

/** 403 CONSOLE_REQUEST_REQUIRED unless the call carries the console's header (with the SameSite=Strict cookie: no CSRF). */
export function requireConsoleRequest(req: Request): void {
  if (req.header(CONSOLE_REQUEST_HEADER) !== '1') {
    throw new DomainHttpException(HttpStatus.FORBIDDEN, 'CONSOLE_REQUEST_REQUIRED', `state-changing calls must carry ${CONSOLE_REQUEST_HEADER}: 1`);
  }
}
