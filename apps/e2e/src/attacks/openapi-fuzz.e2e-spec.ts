import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createSubscriber, createTestCitizen, HttpJson, type PlatformEndpoints } from '@jpki/jpki-client';
import { decodeCertificate, formatSerialNumber } from '@jpki/pki';
import { startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';

/**
 * ATK-54: every HTTP API fuzzed from its own OpenAPI document (`/docs-json`), against the running platform (every
 * service its own process): for each operation, fast-check generates requests from the documented parameters and body
 * schema — valid-shaped ones (enums, patterns, formats, bounds, base64 of random bytes where base64 is expected) and
 * malformed ones (wrong types, NUL bytes, unpaired surrogates, huge and deeply nested values, bodies that are not JSON
 * or not declared as JSON, unknown fields) — with the operator token, without one, and with a forged one.
 * Failures: any response ≥ 500 and any request without an answer within REQUEST_TIMEOUT_MS (a hang). For lifecycle,
 * every refused call (4xx) must also be in its audit log (matched by the correlation id the request carried).
 *
 * Bounded: FUZZ_RUNS requests per operation, FUZZ_BUDGET_MS for the whole campaign. The seed is printed; replay a run
 * with FUZZ_SEED=<seed> (and the same FUZZ_RUNS). FUZZ_PLATFORM_FILE=<json { endpoints, token }> fuzzes an already
 * running local platform instead of starting one (the token needs the auditor role too). Only loopback targets are
 * ever fuzzed.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 14);
const BUDGET_MS = Number(process.env['FUZZ_BUDGET_MS'] ?? 60_000);
const REQUEST_TIMEOUT_MS = 10_000;

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  default?: unknown;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  service: string;
  baseUrl: string;
  method: string;
  /** OpenAPI path template, e.g. `/cases/{caseId}`. */
  path: string;
  parameters: Parameter[];
  body?: { contentType: string; schema?: Schema };
}

interface FuzzRequest {
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { contentType: string | undefined; data: string | Buffer };
  auth: 'token' | 'none' | 'forged';
  /** Whether the URL, once normalised, still names this operation's route (dot segments can move it). */
  routed: boolean;
}

interface Outcome {
  op: Operation;
  request: FuzzRequest;
  correlationId: string;
  status: number | 'timeout' | 'network-error';
  reason?: string;
  excerpt?: string;
}

// ---------- generators ----------

/**
 * Percent-encoding that never throws: the UTF-8 bytes of the string (an unpaired surrogate becomes U+FFFD, as any
 * HTTP client would send it; the raw surrogate bytes are sent by the pre-encoded segments below).
 */
function pct(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Path segments sent as they are: bytes that are not UTF-8, a surrogate's CESU-8 bytes, an encoded NUL and slash. */
const RAW_SEGMENTS = ['%ED%A0%80', '%FF%FE', '%C0%80', '%00', '%2F..%2F', '%25', 'a%20b', '%E0%A4%A'];

const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '',
  ' ',
  '%00',
  '%',
  '..',
  '../../../etc/passwd',
  "' OR '1'='1' --",
  '"; DROP TABLE inbox; --',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\\u0000',
  '日本語テキスト',
  '😀'.repeat(50),
  '\u202e\u0301',
  '9'.repeat(400),
  '-1',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  'AA==',
  '8981100000000000001',
  '+819012345678',
  '00000000-0000-0000-0000-000000000000',
];

const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'A'.repeat(n)) },
);

const BASE64 = /^\^\[A-Za-z0-9\+\/\]\*=\{0,2\}\$$/;

function resolve(schema: Schema | undefined, doc: Record<string, unknown>): Schema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace(/^#\/components\/schemas\//, '');
  return ((doc['components'] as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {})[name];
}

function safeStringMatching(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return undefined;
  }
}

/** Values shaped like the schema says (most pass validation, some land just outside a bound). */
function shaped(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((s) => shaped(s, depth + 1)));
  if (schema.allOf?.length) return shaped(Object.assign({}, ...schema.allOf), depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'date') return fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 64, 4_000);
      if (schema.pattern && BASE64.test(schema.pattern)) {
        return fc.uint8Array({ minLength: Math.ceil((min * 3) / 4), maxLength: Math.max(Math.ceil((min * 3) / 4), Math.floor((max * 3) / 4)) }).map((b) => Buffer.from(b).toString('base64'));
      }
      const matching = schema.pattern ? safeStringMatching(schema.pattern) : undefined;
      const plain = fc.string({ minLength: min, maxLength: Math.max(min, max) });
      return matching ? fc.oneof({ weight: 4, arbitrary: matching }, { weight: 1, arbitrary: plain }) : plain;
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1_000_000);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1_000_000);
      const lo = Math.max(min, -Number.MAX_SAFE_INTEGER);
      const hi = Math.min(max, Number.MAX_SAFE_INTEGER);
      return fc.oneof(fc.integer({ min: Math.ceil(Math.max(lo, -2_147_483_648)), max: Math.floor(Math.min(hi, 2_147_483_647)) }), fc.constantFrom(lo, hi, lo - 1, hi + 1));
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(shaped(schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 6) });
    case 'object':
    default: {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const entries = Object.entries(props).map(([k, s]) => [k, shaped(s, depth + 1)] as const);
      return fc.record(Object.fromEntries(entries), { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    }
  }
}

/** Anything JSON can carry, and the strings no field should accept. */
const malformedValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, -1e308, 0.5, true, null, [], {}) },
  { weight: 1, arbitrary: fc.integer({ min: 40, max: 3_000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) },
);

/** A shaped value with one field (at any depth) replaced by a malformed one, or extra fields added. */
function mutated(schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc.tuple(shaped(schema), malformedValue, fc.nat(), fc.string({ minLength: 1, maxLength: 12 }), fc.boolean()).map(([value, bad, pick, extraKey, replace]) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad;
    const copy = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (replace && keys.length > 0) copy[keys[pick % keys.length]] = bad;
    else copy[extraKey] = bad;
    return copy;
  });
}

function bodyArbitrary(op: Operation): fc.Arbitrary<FuzzRequest['body']> {
  const body = op.body;
  if (!body) {
    // Operations without a body: usually none, sometimes junk anyway.
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: malformedValue.map((v) => ({ contentType: 'application/json', data: JSON.stringify(v) ?? 'null' })) },
    );
  }
  if (body.contentType !== 'application/json') {
    return fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((b) => ({ contentType: body.contentType, data: Buffer.from(b) })),
      fc.constant({ contentType: body.contentType, data: Buffer.from('3003020100', 'hex') }),
      fc.constant({ contentType: body.contentType, data: Buffer.alloc(70 * 1024, 0x30) }),
      fc.constant({ contentType: 'application/json', data: '{"a":1}' }),
    );
  }
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => ({ contentType: 'application/json' as string | undefined, data: JSON.stringify(v) ?? 'null' }));
  return fc.oneof(
    { weight: 8, arbitrary: json(shaped(body.schema)) },
    { weight: 4, arbitrary: json(mutated(body.schema)) },
    { weight: 2, arbitrary: json(malformedValue) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<FuzzRequest['body']>(
        { contentType: 'application/json', data: '{"unterminated": "' },
        { contentType: 'application/json', data: 'not json at all' },
        { contentType: 'application/json', data: '{"a":"\\ud800"}' },
        { contentType: 'application/json', data: '' },
        { contentType: 'application/json; charset=latin1', data: '{}' },
        { contentType: 'text/plain', data: '{"hello":"world"}' },
        { contentType: 'application/x-www-form-urlencoded', data: 'a=1&b=%00' },
        { contentType: undefined, data: '{"no":"content-type"}' },
        { contentType: 'application/json', data: JSON.stringify({ padding: 'x'.repeat(1_100_000) }) },
      ),
    },
  );
}

/** Identifiers of things that exist on the platform under test (a citizen, a subscriber): requests that go deeper. */
const knownIds: string[] = [];

/** Plausible identifiers for path parameters the schema leaves as bare strings. */
const plausibleIds = () => fc.oneof(
  fc.constantFrom(...(knownIds.length > 0 ? knownIds : ['none'])),
  fc.uuid(),
  fc.stringMatching(/^[0-9A-F]{2,40}$/),
  fc.stringMatching(/^89811\d{14}$/),
  fc.stringMatching(/^\+81[789]0\d{8}$/),
  fc.constantFrom('root.der', 'user-authentication.pem', 'chain.pem', 'user-authentication.crl', 'root-delta.crl', 'hall-a-1', '1', '0', 'MEIwQDA-MDwwOjAJBgUrDgMCGgUABBQ'),
);

function paramArbitrary(p: Parameter): fc.Arbitrary<string | undefined> {
  const value = (a: fc.Arbitrary<unknown>) => a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
  const shapedValue =
    p.schema && (p.schema.pattern || p.schema.enum || p.schema.format || p.schema.type !== 'string')
      ? fc.oneof({ weight: 3, arbitrary: value(shaped(p.schema)) }, { weight: 1, arbitrary: plausibleIds() })
      : plausibleIds();
  const present = fc.oneof({ weight: 5, arbitrary: shapedValue }, { weight: 3, arbitrary: nastyString });
  if (p.in === 'path') return fc.oneof({ weight: 8, arbitrary: present }, { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS.map((r) => `raw:${r}`)) });
  return p.required ? present : fc.option(present, { freq: 2, nil: undefined });
}

function requestArbitrary(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const headerParams = op.parameters.filter((p) => p.in === 'header' && p.name.toLowerCase() !== 'authorization');
  return fc
    .record({
      path: fc.tuple(...pathParams.map(paramArbitrary)),
      query: fc.tuple(...queryParams.map(paramArbitrary)),
      extraQuery: fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), nastyString), { freq: 5, nil: undefined }),
      headers: fc.tuple(...headerParams.map(() => fc.option(fc.string({ maxLength: 200 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), { nil: undefined }))),
      body: bodyArbitrary(op),
      auth: fc.constantFrom<FuzzRequest['auth']>('token', 'token', 'none', 'forged'),
    })
    .map(({ path, query, extraQuery, headers, body, auth }) => {
      let url = op.path;
      pathParams.forEach((p, i) => {
        const value = path[i] ?? '';
        url = url.replace(`{${p.name}}`, value.startsWith('raw:') ? value.slice(4) : pct(value));
      });
      const q: [string, string][] = [];
      queryParams.forEach((p, i) => query[i] !== undefined && q.push([p.name, query[i] as string]));
      if (extraQuery) q.push(extraQuery);
      const h: Record<string, string> = {};
      headerParams.forEach((p, i) => headers[i] !== undefined && (h[p.name] = headers[i] as string));
      const normalised = new URL(url, 'http://127.0.0.1').pathname;
      const route = new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`); // a path parameter is never an empty segment (Express)
      return { path: url, query: q, headers: h, body, auth, routed: route.test(normalised) };
    });
}

// ---------- the platform's OpenAPI ----------

async function operationsOf(service: string, baseUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${baseUrl}/docs-json`)).json()) as Record<string, unknown>;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc['paths'] as Record<string, Record<string, unknown>>)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const o = raw as { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } };
      const content = o.requestBody?.content ?? {};
      const contentType = Object.keys(content)[0];
      ops.push({
        service,
        baseUrl,
        method: method.toUpperCase(),
        path,
        parameters: (o.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema, doc) })),
        body: contentType ? { contentType, schema: resolve(content[contentType].schema, doc) } : undefined,
      });
    }
  }
  return ops;
}

describe('attacks: OpenAPI-driven fuzzing of every service', () => {
  let platform: PlatformUnderTest | undefined;
  let endpoints: PlatformEndpoints;
  let token: string;
  let auditorToken: string;
  const outcomes: Outcome[] = [];
  let counter = 0;

  beforeAll(async () => {
    console.log(`openapi fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_BUDGET_MS=${BUDGET_MS} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx jest apps/e2e/src/attacks/openapi-fuzz.e2e-spec.ts)`);
    const file = process.env['FUZZ_PLATFORM_FILE'];
    if (file) {
      ({ endpoints, token } = JSON.parse(readFileSync(file, 'utf8')) as { endpoints: PlatformEndpoints; token: string });
      auditorToken = token;
      return;
    }
    platform = await startPlatformUnderTest();
    endpoints = platform.endpoints;
    token = platform.operatorToken;
    auditorToken = platform.keys.operatorToken('fuzz-auditor', ['auditor']);
  }, 240_000);

  beforeAll(async () => {
    // Something for valid-shaped requests to find: a citizen with card certificates, a subscriber with a SIM, an
    // application the citizen signed with the card's signing key (rp-eapplication).
    const citizen = await createTestCitizen(endpoints, token);
    const subscriber = await createSubscriber(endpoints, token, 'docomo');
    const document = Buffer.from('{"form":"転居届","fuzz":true}');
    const signedData = await citizen.card.signApplication(citizen.signingPassword, document, { detached: true });
    const application = await new HttpJson(endpoints.rpEapplication).post<{ applicationId: string }>('/applications', {
      document: document.toString('base64'),
      signedData: signedData.toString('base64'),
    });
    knownIds.push(
      citizen.personId,
      formatSerialNumber(decodeCertificate(citizen.card.certificate('user-authentication')).tbs.serialNumber),
      subscriber.msisdn,
      subscriber.iccid,
      application.applicationId,
    );
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  async function send(op: Operation, req: FuzzRequest): Promise<Outcome> {
    const correlationId = `fuzz-${SEED}-${++counter}`;
    const headers: Record<string, string> = { ...req.headers, 'x-correlation-id': correlationId };
    if (req.auth === 'token') headers['authorization'] = `Bearer ${token}`;
    if (req.auth === 'forged') headers['authorization'] = `Bearer ${forgedToken}`;
    if (req.body?.contentType) headers['content-type'] = req.body.contentType;
    const qs = req.query.length ? `?${req.query.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}` : '';
    try {
      const res = await fetch(`${op.baseUrl}${req.path}${qs}`, {
        method: op.method,
        headers,
        body: op.method === 'GET' ? undefined : req.body?.data,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'manual',
      });
      const text = await res.text();
      let reason: string | undefined;
      try {
        reason = (JSON.parse(text) as { reason?: string }).reason;
      } catch {
        reason = undefined;
      }
      return { op, request: req, correlationId, status: res.status, reason, excerpt: text.slice(0, 300) };
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      return { op, request: req, correlationId, status: timedOut ? 'timeout' : 'network-error', excerpt: String(err) };
    }
  }

  const forgedToken = `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify({ sub: 'fuzz\u0000er', roles: ['integrator'], aud: ['lifecycle'] })).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
  /**
   * Node's HTTP parser answers a request head over its 16 KiB limit with 431 and closes the connection at once; a client
   * still uploading a body then sees the socket close instead of the answer. That is a refusal, not a failure (a
   * crashed service shows in the readiness check after the campaign).
   */
  const headOverLimit = (o: Outcome) => o.request.path.length + o.request.query.reduce((n, [k, v]) => n + pct(k).length + pct(v).length + 2, 0) > 16 * 1024;
  const failed = (o: Outcome) => o.status === 'timeout' || (o.status === 'network-error' && !headOverLimit(o)) || (typeof o.status === 'number' && o.status >= 500);
  const describeOutcome = (o: Outcome) =>
    `${o.op.service} ${o.op.method} ${o.op.path} → ${o.status}${o.reason ? ` ${o.reason}` : ''} [${o.correlationId}] ` +
    `request ${JSON.stringify({
      path: cut(o.request.path),
      query: o.request.query.map(([k, v]) => [cut(k), cut(v)]),
      auth: o.request.auth,
      contentType: o.request.body?.contentType,
      body: typeof o.request.body?.data === 'string' ? cut(o.request.body.data) : o.request.body && `<${o.request.body.data.length} bytes>`,
    })} answer ${cut(o.excerpt ?? '')}`;
  const cut = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…(${text.length} chars)` : text);

  it('ATK-54: fuzzing every operation of every service from its /docs-json, with and without a token → no 5xx, no hang; lifecycle audits its refusals', async () => {
    const e = endpoints;
    const services: [string, string][] = [
      ['jpki-ca', e.ca],
      ['sp-tsm', e.spTsm],
      ['mno-tsm-docomo', e.mno.docomo],
      ['mno-tsm-kddi', e.mno.kddi],
      ['mno-tsm-softbank', e.mno.softbank],
      ['vsim', e.vsim],
      ['lifecycle', e.lifecycle],
      ['rp-bank', e.rpBank],
      ['rp-ticketing', e.rpTicketing],
      ['rp-eapplication', e.rpEapplication],
    ];
    for (const [, base] of services) expect(['127.0.0.1', 'localhost', '[::1]']).toContain(new URL(base).hostname); // loopback only
    const operations = (await Promise.all(services.map(([name, base]) => operationsOf(name, base)))).flat();
    expect(operations.length).toBeGreaterThan(50);

    const deadline = Date.now() + BUDGET_MS;
    const skipped: string[] = [];
    const fuzzerErrors: string[] = [];
    // One worker per service (services run side by side), operations in turn; each operation its own property.
    await Promise.all(
      services.map(async ([name]) => {
        const mine = operations.filter((o) => o.service === name);
        for (const [index, op] of mine.entries()) {
          if (Date.now() > deadline) {
            skipped.push(`${op.service} ${op.method} ${op.path}`);
            continue;
          }
          const seed = (SEED + index * 7919 + name.length * 104729) | 0;
          await fc
            .assert(
              fc.asyncProperty(requestArbitrary(op), async (req) => {
                try {
                  const outcome = await send(op, req);
                  outcomes.push(outcome);
                  return !failed(outcome);
                } catch (err) {
                  fuzzerErrors.push(`${op.service} ${op.method} ${op.path}: ${String(err).slice(0, 300)}`);
                  return true;
                }
              }),
              { seed, numRuns: RUNS, endOnFailure: true },
            )
            .catch((err: unknown) => {
              // A failing request is recorded with its outcome and reported below; anything else is the fuzzer's own error.
              if (!String(err).includes('Counterexample')) fuzzerErrors.push(`${op.service} ${op.method} ${op.path}: ${String(err).slice(0, 500)}`);
            });
        }
      }),
    );

    expect(fuzzerErrors).toEqual([]);
    const failures = outcomes.filter(failed).map(describeOutcome);
    const byStatus = outcomes.reduce<Record<string, number>>((acc, o) => ((acc[String(o.status)] = (acc[String(o.status)] ?? 0) + 1), acc), {});
    console.log(`openapi fuzz (FUZZ_SEED=${SEED}): ${outcomes.length} requests over ${operations.length} operations; statuses ${JSON.stringify(byStatus)}; ${skipped.length} operations skipped (budget)`);
    expect(failures).toEqual([]);
    expect(skipped.length).toBeLessThan(operations.length / 4);

    // No service is left hanging.
    for (const [, base] of services) expect((await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).status).toBe(200);

    // Lifecycle audits every refusal of a call that reached one of its routes: not those refused before any route,
    // by Node's HTTP parser (431, a URL over the header limit) or by the router (400 MALFORMED_URL, a path it cannot
    // decode to UTF-8, so it cannot tell which route was meant).
    const beforeAnyRoute = (o: Outcome) => o.status === 431 || o.reason === 'MALFORMED_URL';
    const refused = outcomes.filter((o) => o.op.service === 'lifecycle' && o.request.routed && typeof o.status === 'number' && o.status >= 400 && o.status < 500 && !beforeAnyRoute(o));
    expect(refused.length).toBeGreaterThan(0);
    const audited = new Set<string>();
    const auditor = `Bearer ${auditorToken}`;
    for (let after = 0; ; ) {
      const page = (await (await fetch(`${e.lifecycle}/audit?after=${after}&limit=1000`, { headers: { authorization: auditor } })).json()) as { id: number; correlationId: string | null }[];
      page.forEach((a) => a.correlationId && audited.add(a.correlationId));
      if (page.length < 1000) break;
      after = page[page.length - 1].id;
    }
    expect(refused.filter((o) => !audited.has(o.correlationId)).map(describeOutcome)).toEqual([]);
  }, 180_000);
});
