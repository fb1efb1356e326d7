import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newWorkContext } from './context';
import { contextOfTraceparent, inSpan, OTLP_PROTOCOL, startTracing, traceparentOf, tracingConfigProblem, tracingRequested, TRACES_EXPORTERS, type Tracing } from './tracing';

interface ConsoleSpan {
  resource: { attributes: Record<string, unknown> };
  traceId: string;
  parentSpanContext?: { spanId: string };
  name: string;
  id: string;
  status: { code: number; message?: string };
}

/** Runs `fn` with these OTEL_* variables set (the SDK reads them from the process environment). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

describe('tracing setup', () => {
  it('is off unless an OTLP endpoint or a traces exporter is configured, and always off when the SDK is disabled', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'sp-tsm', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
  });

  it('starts nothing when off: spans are no-ops and work contexts keep their own W3C trace context', async () => {
    await expect(withEnv({ OTEL_SERVICE_NAME: 'sp-tsm' }, () => startTracing('sp-tsm'))).resolves.toBeUndefined();
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await inSpan('work', {}, async () => {
      expect(traceparentOf()).toBeUndefined();
      expect(newWorkContext({ traceparent: parent }).traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    });
  });

  it('refuses an exporter or OTLP protocol this build does not carry, rather than exporting nothing', async () => {
    await expect(withEnv({ OTEL_TRACES_EXPORTER: 'zipkin' }, () => startTracing('sp-tsm'))).rejects.toThrow(/OTEL_TRACES_EXPORTER=zipkin is not supported/);
    const grpc = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    await expect(withEnv(grpc, () => startTracing('sp-tsm'))).rejects.toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: OTLP protocol grpc is not supported; this build exports traces only as http/json',
    );
  });

  it('says which variable asks for which protocol, and accepts http/json, an unset protocol and traces turned off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318' };
    expect(tracingConfigProblem({ ...endpoint })).toBeUndefined();
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: OTLP_PROTOCOL })).toBeUndefined();
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: ' http/json ' })).toBeUndefined();
    // An empty value is unset (the OpenTelemetry specification), so http/json here.
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: '' })).toBeUndefined();
    // Off: nothing to refuse.
    expect(tracingConfigProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();
    expect(tracingConfigProblem({ ...endpoint, OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();
    // The console exporter has no protocol.
    expect(tracingConfigProblem({ OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();

    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toBe(
      'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: OTLP protocol http/protobuf is not supported; this build exports traces only as http/json ' +
        "(OTLP/HTTP, JSON bodies, e.g. to a collector's port 4318): set OTEL_EXPORTER_OTLP_PROTOCOL=http/json or leave it unset " +
        '(http/protobuf would need @opentelemetry/exporter-trace-otlp-proto, which is not installed)',
    );
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/would need @opentelemetry\/exporter-trace-otlp-grpc, which is not installed\)$/);
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'json' })).toMatch(/^OTEL_EXPORTER_OTLP_PROTOCOL=json: .*\(the OTLP protocols are grpc, http\/protobuf and http\/json\)$/);
    // The traces variable wins over the general one, both ways.
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toBeUndefined();
    expect(tracingConfigProblem({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc: /);
    // One exporter, not a list.
    expect(tracingConfigProblem({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toBe('OTEL_TRACES_EXPORTER=otlp,console is not supported; use one of otlp, console or none');
    expect(TRACES_EXPORTERS).toEqual(['otlp', 'console']);
  });

  describe('when on', () => {
    let tracing: Tracing | undefined;
    const exported: ConsoleSpan[] = [];

    beforeAll(async () => {
      jest.spyOn(console, 'dir').mockImplementation((span: unknown) => void exported.push(span as ConsoleSpan));
      tracing = await withEnv({ OTEL_TRACES_EXPORTER: 'console', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test' }, () => startTracing('mno-tsm-kddi'));
    });

    afterAll(() => jest.restoreAllMocks());

    it('sends the trace context with outgoing HTTP (fetch), from a client span of its own', async () => {
      const received: (string | undefined)[] = [];
      const server: Server = createServer((req, res) => {
        received.push(req.headers['traceparent'] as string | undefined);
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const caller = await inSpan('call the CA', {}, async () => {
          await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp`)).text();
          return traceparentOf() ?? '';
        });
        const traceId = caller.split('-')[1];
        expect(received).toEqual([expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))]);
        expect(received[0]).not.toBe(caller);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('names the service by its identity, makes work contexts carry the active span, and continues a stored traceparent', async () => {
      let created = '';
      await inSpan('create ca.commands', {}, async () => {
        created = traceparentOf() ?? '';
        expect(newWorkContext({ traceparent: '00-11111111111111111111111111111111-2222222222222222-01' }).traceparent).toBe(created);
      });
      await expect(
        inSpan('process ca.commands', { parent: contextOfTraceparent(created) }, async () => {
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
      await tracing?.shutdown();

      const [, traceId, spanId] = created.split('-');
      const ours = exported.filter((s) => s.name.endsWith('ca.commands'));
      expect(ours.map((s) => [s.name, s.traceId, s.parentSpanContext?.spanId, s.status.code])).toEqual([
        ['create ca.commands', traceId, undefined, 0],
        ['process ca.commands', traceId, spanId, 2],
      ]);
      expect(ours[0].id).toBe(spanId);
      expect(ours[0].resource.attributes).toMatchObject({ 'service.name': 'mno-tsm-kddi', 'deployment.environment.name': 'test' });
    });
  });
});
