/** A refusal from one of the platform's HTTP APIs, with its machine-readable reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(`${status} ${reason}: ${detail}`);
  }
}

/** A call that got no complete answer within its timeout. */
export class HttpTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url}: no answer within ${timeoutMs} ms`);
  }
}

/** A service's machine-readable refusal: HTTP status, reason code and the details it gave. */
export interface Refusal {
  status: number;
  reason: string;
  details?: Record<string, unknown>;
}

/** The refusal of a call that must be refused; fails when the call succeeds or breaks in another way. */
export async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, reason: error.reason, details: (error.body as { details?: Record<string, unknown> }).details };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** For polling: the call's refusal when it has this reason, undefined otherwise (still accepted, or refused otherwise). */
export function refusedWith(call: Promise<unknown>, reason: string): Promise<Refusal | undefined> {
  return refusalOf(call).then(
    (r) => (r.reason === reason ? r : undefined),
    () => undefined,
  );
}

/** Headers that authenticate one request, computed over exactly what is sent (the body as serialized, `''` if none). */
export type RequestAuthorizer = (method: string, path: string, body: string) => Record<string, string>;

/** How a client reaches the network: the fetch to use (a test's double) and how long one call may take in all. */
export interface HttpTransport {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * JSON over HTTP with an optional operator token (or request authorizer) and a correlation id for the whole user action.
 * Every call, its body included, has a timeout: a service that hangs fails the call with an `HttpTimeoutError`.
 */
export class HttpJson {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly correlationId?: string,
    private readonly authorize?: RequestAuthorizer,
    private readonly transport: HttpTransport = {},
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /**
   * A conditional read that may wait: with the ETag of the version the caller has, the service answers at the next
   * change or, after `waitSeconds`, 304 (`body` undefined).
   */
  async getVersioned<T>(path: string, etag?: string, waitSeconds = 20): Promise<{ body?: T; etag?: string }> {
    const headers = { ...this.headers(), ...(etag ? { 'if-none-match': etag, prefer: `wait=${waitSeconds}` } : {}) };
    return this.send('GET', path, { method: 'GET', headers }, async (res) => {
      const next = res.headers.get('etag') ?? undefined;
      if (res.status === 304) return { etag: next ?? etag };
      const text = await res.text();
      const answer = text ? safeJson(text) : undefined;
      if (!res.ok) throw refusal(res.status, answer, text);
      return { body: answer as T, etag: next };
    });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  raw(method: string, path: string, body?: Buffer, contentType?: string): Promise<Response> {
    return this.send(method, path, { method, body, headers: this.headers(contentType) }, (res) => Promise.resolve(res));
  }

  /** The JSON answer of an accepted call; an `ApiError` with the service's reason for a refused one. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...this.headers(json === undefined ? undefined : 'application/json'), ...this.authorize?.(method, path, json ?? '') };
    return this.send(method, path, { method, headers, body: json }, async (res) => {
      const text = await res.text();
      const answer = text ? safeJson(text) : undefined;
      if (!res.ok) throw refusal(res.status, answer, text);
      return answer as T;
    });
  }

  private async send<T>(method: string, path: string, init: RequestInit, read: (res: Response) => Promise<T>): Promise<T> {
    const timeoutMs = this.transport.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      return await read(await (this.transport.fetch ?? fetch)(this.baseUrl + path, { ...init, signal: AbortSignal.timeout(timeoutMs) }));
    } catch (error) {
      if ((error as { name?: string } | undefined)?.name === 'TimeoutError') throw new HttpTimeoutError(method, this.baseUrl + path, timeoutMs);
      throw error;
    }
  }

  private headers(contentType?: string): Record<string, string> {
    return {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(this.correlationId ? { 'x-correlation-id': this.correlationId } : {}),
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function refusal(status: number, answer: unknown, text: string): ApiError {
  const b = (answer ?? {}) as { reason?: string; message?: unknown };
  return new ApiError(status, b.reason ?? `HTTP_${status}`, typeof b.message === 'string' ? b.message : text.slice(0, 300), answer);
}
