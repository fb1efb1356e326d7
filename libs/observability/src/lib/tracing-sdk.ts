import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { tracingConfigProblem, type Tracing } from './tracing';

/** The exporters of TRACES_EXPORTERS; OTLP goes over HTTP as JSON (OTLP_PROTOCOL, see tracingConfigProblem). */
const EXPORTERS: Record<string, () => SpanExporter> = {
  otlp: () => new OTLPTraceExporter(),
  console: () => new ConsoleSpanExporter(),
};

/**
 * The SDK with the W3C trace context propagator, batched export (OTEL_BSP_*), the sampler of OTEL_TRACES_SAMPLER, and the
 * HTTP (server and client), fetch and pg instrumentations. Loaded only when traces are requested: it takes about 0.4 s.
 */
export function startSdk(serviceName: string): Tracing {
  const provider = new NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(exporterFrom(process.env))],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Probes and scrapes would be most of the spans, and nothing an enrollment does.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)\b/.test(req.url ?? ''), requireParentforOutgoingSpans: true }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Database calls inside a unit of work only: the relay's and saga runners' polling would each be a trace of its own.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  return {
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}

function exporterFrom(env: NodeJS.ProcessEnv): SpanExporter {
  const problem = tracingConfigProblem(env);
  if (problem) throw new Error(problem);
  return EXPORTERS[env['OTEL_TRACES_EXPORTER']?.trim() || 'otlp']();
}
