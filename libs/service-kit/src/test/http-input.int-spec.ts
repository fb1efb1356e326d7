import { Controller, Get, HttpCode, Module, Param, Post, type DynamicModule, type INestApplication } from '@nestjs/common';
import { z } from 'zod/v4';
import { DataSource } from 'typeorm';
import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix } from '@jpki/testing';
import { baseConfigSchema, createServiceApp, loadConfig, RequireRoles, ServiceKitModule, ValidBody, ValidQuery, type ServiceDefinition } from '../index';

const echoSchema = z.strictObject({ name: z.string().max(100_000), tags: z.array(z.string()).max(10).optional() });

/** Endpoints that hand their input to PostgreSQL as it is, as a careless handler would. */
@Controller()
class InputProbeController {
  constructor(private readonly ds: DataSource) {}

  @Post('echo')
  @HttpCode(200)
  async echo(@ValidBody(echoSchema) body: z.infer<typeof echoSchema>) {
    const [row] = (await this.ds.query(`SELECT $1::text AS name`, [body.name])) as { name: string }[];
    return { name: row.name.length };
  }

  @Get('things/:id')
  async thing(@Param('id') id: string) {
    return this.ds.query(`SELECT $1::text AS id`, [id]);
  }

  @Get('search')
  async search(@ValidQuery(z.object({ q: z.string().optional() })) query: { q?: string }) {
    return this.ds.query(`SELECT $1::text AS q`, [query.q ?? '']);
  }

  @Post('guarded')
  @RequireRoles('operator')
  guarded(@ValidBody(echoSchema) body: z.infer<typeof echoSchema>) {
    return body;
  }
}

@Module({})
class InputProbeModule {
  static register(def: ServiceDefinition): DynamicModule {
    return { module: InputProbeModule, imports: [ServiceKitModule.forRoot(def)], controllers: [InputProbeController] };
  }
}

/**
 * Every service's HTTP edge (service-kit): a body over HTTP_BODY_LIMIT_BYTES is 413 PAYLOAD_TOO_LARGE, a body that is
 * not JSON 400/415 with a reason, a NUL byte or an unpaired surrogate anywhere in the input 400 with a reason, never the
 * 500 that PostgreSQL's refusal of the value used to become.
 */
describe('HTTP input at the edge of every service (real PostgreSQL)', () => {
  let app: INestApplication;
  let url: string;

  const send = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(url + path, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as { reason?: string; message?: string; details?: unknown }) : undefined };
  };
  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    send(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    const config = loadConfig(baseConfigSchema, {
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema('http_input'),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      LOG_LEVEL: 'warn',
      HTTP_BODY_LIMIT_BYTES: String(64 * 1024),
    });
    const def: ServiceDefinition = { name: 'http-input-probe', config, entities: [], migrations: [CreateMessagingTables1700000000000], subscriptions: [] };
    app = await createServiceApp({ definition: def, module: InputProbeModule.register(def), openApi: { title: 'input probe', description: 'test' } });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('answers a body over the configured limit with 413 PAYLOAD_TOO_LARGE, declared or streamed, on any route', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(100 * 1024) });
    expect(await postJson('/echo', big)).toMatchObject({ status: 413, body: { reason: 'PAYLOAD_TOO_LARGE', details: { limitBytes: 64 * 1024 } } });
    // Without a Content-Length (chunked): read up to the limit, then refused.
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    expect(await send('/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit)).toMatchObject({
      status: 413,
      body: { reason: 'PAYLOAD_TOO_LARGE' },
    });
    expect(await postJson('/no-such-route', big)).toMatchObject({ status: 413, body: { reason: 'PAYLOAD_TOO_LARGE' } });
    // The role guard speaks first: an anonymous caller learns nothing more than 401.
    expect(await postJson('/guarded', big)).toMatchObject({ status: 401, body: { reason: 'AUTH_NOT_CONFIGURED' } });
    // Under the limit is fine.
    expect(await postJson('/echo', JSON.stringify({ name: 'x'.repeat(60 * 1024) }))).toMatchObject({ status: 200, body: { name: 60 * 1024 } });
  });

  it('answers a body that is not JSON with 400 MALFORMED_JSON, or 415 when it does not claim to be JSON', async () => {
    expect(await postJson('/echo', '{"name": "unterminated')).toMatchObject({ status: 400, body: { reason: 'MALFORMED_JSON' } });
    expect(await postJson('/echo', '"just a string"')).toMatchObject({ status: 400, body: { reason: 'MALFORMED_JSON' } });
    expect(await send('/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"a"}' })).toMatchObject({
      status: 415,
      body: { reason: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    expect(await send('/echo', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=a' })).toMatchObject({
      status: 415,
      body: { reason: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    expect(await postJson('/echo', '{"name":"a"}', { 'content-type': 'application/json; charset=latin1' })).toMatchObject({ status: 415, body: { reason: 'UNSUPPORTED_CHARSET' } });
    expect(await postJson('/echo', '{"name":"a"}', { 'content-encoding': 'br-nonsense' })).toMatchObject({ status: 415, body: { reason: 'UNSUPPORTED_CONTENT_ENCODING' } });
    // No body at all is a validation failure, as before.
    expect(await send('/echo', { method: 'POST' })).toMatchObject({ status: 400, body: { reason: 'VALIDATION_FAILED' } });
  });

  it('answers NUL bytes in a path parameter, a query parameter, a body string or a body key with 400 INPUT_CONTAINS_NUL', async () => {
    expect(await send('/things/%00')).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL', details: { where: 'path.id' } } });
    expect(await send('/things/a%00b')).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL' } });
    expect(await send('/search?q=%00')).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL', details: { where: 'query.q' } } });
    // Even a query parameter the endpoint does not read.
    expect(await send('/search?other=x%00')).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL', details: { where: 'query.other' } } });
    expect(await postJson('/echo', JSON.stringify({ name: 'a\u0000b' }))).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL', details: { where: 'body.name' } } });
    expect(await postJson('/echo', JSON.stringify({ name: 'a', tags: ['ok', '\u0000'] }))).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL', details: { where: 'body.tags.1' } } });
    expect(await postJson('/echo', '{"name":"a","\\u0000":1}')).toMatchObject({ status: 400, body: { reason: 'INPUT_CONTAINS_NUL' } });
    // The honest values still work.
    expect(await send('/things/abc')).toMatchObject({ status: 200 });
    expect(await send('/search?q=%E6%97%A5%E6%9C%AC')).toMatchObject({ status: 200, body: [{ q: '日本' }] });
  });

  it('answers unpaired surrogates, a URL that is not UTF-8 and absurd nesting with a 400 reason', async () => {
    expect(await postJson('/echo', '{"name":"\\ud800"}')).toMatchObject({ status: 400, body: { reason: 'INPUT_INVALID_UNICODE' } });
    expect(await postJson('/echo', '{"name":"\\udc00x"}')).toMatchObject({ status: 400, body: { reason: 'INPUT_INVALID_UNICODE' } });
    expect(await postJson('/echo', '{"name":"\\ud83d\\ude00"}')).toMatchObject({ status: 200 });
    expect(await send('/things/%E0%A4%A')).toMatchObject({ status: 400, body: { reason: 'MALFORMED_URL' } });
    const deep = `{"name":"a","tags":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(await postJson('/echo', deep)).toMatchObject({ status: 400, body: { reason: 'INPUT_TOO_DEEP' } });
  });
});
