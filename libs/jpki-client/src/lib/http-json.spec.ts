import { ApiError, HttpJson, HttpTimeoutError } from './http-json';

const answering = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

/** A server that never answers: the request waits until its signal aborts. */
const hanging = ((_url: string, init: RequestInit) =>
  new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)))) as unknown as typeof fetch;

describe('HttpJson', () => {
  it('answers the JSON body of an accepted call', async () => {
    await expect(new HttpJson('http://svc', 't', undefined, undefined, { fetch: answering(200, { ok: 1 }) }).get('/x')).resolves.toEqual({ ok: 1 });
  });

  it('refuses with the service’s status, reason and message', async () => {
    const call = new HttpJson('http://svc', 't', undefined, undefined, { fetch: answering(409, { reason: 'ALREADY_REPORTED', message: 'already lost' }) }).post('/x', {});
    await expect(call).rejects.toMatchObject({ status: 409, reason: 'ALREADY_REPORTED', detail: 'already lost' });
    await expect(call).rejects.toBeInstanceOf(ApiError);
  });

  it('gives up after its timeout with the method, URL and time waited', async () => {
    const call = new HttpJson('http://svc', 't', undefined, undefined, { fetch: hanging, timeoutMs: 50 }).get('/slow');
    await expect(call).rejects.toBeInstanceOf(HttpTimeoutError);
    await expect(call).rejects.toThrow('GET http://svc/slow: no answer within 50 ms');
  });
});
