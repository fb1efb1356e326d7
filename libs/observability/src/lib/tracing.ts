import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

export { SpanKind };
export type { Span };

/** Traces are off unless an OTLP endpoint or a traces exporter is configured, and always off with OTEL_SDK_DISABLED=true. */
export function tracingRequested(env: Record<string, string | undefined>): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim();
  if (exporter) return exporter !== 'none';
  return !!(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

export interface Tracing {
  /** Exports the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when the standard OTEL_* variables ask for it; otherwise loads and starts nothing and
 * returns undefined (the spans below are then no-op calls). Call it before the database client and the HTTP server are
 * loaded: the instrumentations patch `pg` and `http` as they are required. The service name defaults to the service's
 * identity; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it.
 */
export async function startTracing(serviceName: string): Promise<Tracing | undefined> {
  if (!tracingRequested(process.env)) return undefined;
  const { startSdk } = await import('./tracing-sdk');
  return startSdk(serviceName);
}

const tracer = () => trace.getTracer('@jpki/observability');

/** The W3C traceparent of the span active in `ctx`; undefined when tracing is off or no span is active. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier['traceparent'];
}

/** The context a span continues when it was caused by a message or record carrying this traceparent. */
export function contextOfTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

export interface SpanSpec {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; the active context when absent. */
  parent?: Context;
}

/** Runs `work` inside a new active span, which ends with it and records a thrown error. */
export function inSpan<T>(name: string, spec: SpanSpec, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes }, spec.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span that the caller ends (spans of a batch, ended together). */
export function startSpan(name: string, spec: SpanSpec): Span {
  return tracer().startSpan(name, { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes }, spec.parent ?? context.active());
}

/** Error status on a span, with the failure as an exception event (its message only: no payloads). */
export function markFailed(span: Span, err: unknown, reason?: string): void {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? message });
}

/** Messaging attributes (OpenTelemetry semantic conventions) of one Kafka operation on a logical topic. */
export function kafkaSpanAttributes(operation: 'create' | 'send' | 'process', topic: string, messageType: string, more: Attributes = {}): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': topic,
    'jpki.message.type': messageType,
    ...more,
  };
}
