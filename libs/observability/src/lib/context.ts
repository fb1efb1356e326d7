import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync, randomUUID } from 'node:crypto';
import { traceparentOf } from './tracing';

/** What every log line and every message produced inside a unit of work carries. */
export interface WorkContext {
  correlationId: string;
  causationId?: string;
  messageId?: string;
  traceparent: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function runInContext<T>(ctx: WorkContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): WorkContext | undefined {
  return storage.getStore();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** W3C trace context: keep the caller's trace id, start a new span id for this hop. */
export function childTraceparent(parent?: string): string {
  const match = parent ? TRACEPARENT.exec(parent) : null;
  const traceId = match ? match[1] : randomHex(16);
  const flags = match ? match[3] : '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

/**
 * Trace and span ids from a pool refilled 4 KiB at a time: one randomBytes call per id cost every HTTP request and
 * message about 80 µs (a syscall each); ids need to be unique, not secret (OpenTelemetry's own generator is not a CSPRNG).
 */
const idPool = Buffer.alloc(4096);
let idPoolOffset = idPool.length;

function randomHex(bytes: number): string {
  if (idPoolOffset + bytes > idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  idPoolOffset += bytes;
  return idPool.toString('hex', idPoolOffset - bytes, idPoolOffset);
}

/** With tracing on, the traceparent is the active span's (the request's or message's span), so log lines match the spans. */
export function newWorkContext(partial: Partial<WorkContext> = {}): WorkContext {
  return {
    correlationId: partial.correlationId ?? randomUUID(),
    causationId: partial.causationId,
    messageId: partial.messageId,
    traceparent: traceparentOf() ?? childTraceparent(partial.traceparent),
  };
}
