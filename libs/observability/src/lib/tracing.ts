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

/** The span exporters this build carries (`OTEL_TRACES_EXPORTER`; one of them, or `none`: no comma-separated list). */
export const TRACES_EXPORTERS: readonly string[] = ['otlp', 'console'];

/**
 * The one OTLP protocol this build exports with: OTLP/HTTP with JSON bodies (@opentelemetry/exporter-trace-otlp-http).
 * It is also what an unset protocol means here (the OpenTelemetry default, http/protobuf, is not available). An
 * OpenTelemetry Collector's `otlp` receiver takes it on its HTTP port (4318) besides protobuf.
 */
export const OTLP_PROTOCOL = 'http/json';

/** The OTLP exporter packages the other protocols need; none is a dependency of this build. */
const MISSING_EXPORTER: Record<string, string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};

/**
 * Why these OTEL_* variables ask for trace export this build cannot do, or undefined when it can (or traces are off).
 * The service refuses to start with that message rather than run without the traces it was asked for. The traces
 * variable wins over the general one (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, then `OTEL_EXPORTER_OTLP_PROTOCOL`), and an
 * empty value counts as unset, as the OpenTelemetry specification says.
 */
export function tracingConfigProblem(env: Record<string, string | undefined>): string | undefined {
  if (!tracingRequested(env)) return undefined;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim() || 'otlp';
  if (!TRACES_EXPORTERS.includes(exporter)) return `OTEL_TRACES_EXPORTER=${exporter} is not supported; use one of ${TRACES_EXPORTERS.join(', ')} or none`;
  if (exporter !== 'otlp') return undefined;
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[variable]?.trim();
    if (!protocol) continue;
    if (protocol === OTLP_PROTOCOL) return undefined;
    const missing = MISSING_EXPORTER[protocol];
    return (
      `${variable}=${protocol}: OTLP protocol ${protocol} is not supported; this build exports traces only as ${OTLP_PROTOCOL} ` +
      `(OTLP/HTTP, JSON bodies, e.g. to a collector's port 4318): set ${variable}=${OTLP_PROTOCOL} or leave it unset` +
      (missing ? ` (${protocol} would need ${missing}, which is not installed)` : ` (the OTLP protocols are grpc, http/protobuf and http/json)`)
    );
  }
  return undefined;
}

export interface Tracing {
  /** Exports the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when the standard OTEL_* variables ask for it; otherwise loads and starts nothing and
 * returns undefined (the spans below are then no-op calls). Throws `tracingConfigProblem`'s message, before loading the
 * SDK, when they ask for an exporter or OTLP protocol this build does not carry. Call it before the database client and the HTTP server are
 * loaded: the instrumentations patch `pg` and `http` as they are required. The service name defaults to the service's
 * identity; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it.
 */
export async function startTracing(serviceName: string): Promise<Tracing | undefined> {
  if (!tracingRequested(process.env)) return undefined;
  const problem = tracingConfigProblem(process.env);
  if (problem) throw new Error(problem);
  const { startSdk } = await import('./tracing-sdk');
  return startSdk(serviceName);
}

const tracer = () => trace.getTracer('@jpki/observability');

/** The W3C traceparent of `span` (one the caller started and ends); undefined when tracing is off. */
export function traceparentOfSpan(span: Span): string | undefined {
  return traceparentOf(trace.setSpan(context.active(), span));
}

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
