/** A refusal from one of the platform's HTTP APIs, with its machine-readable reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body: unknown,
  ) {
    super(`${status} ${reason}: ${message}`);
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

/** JSON over HTTP with an optional operator token (or request authorizer) and a correlation id for the whole user action. */
export class HttpJson {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly correlationId?: string,
    private readonly authorize?: RequestAuthorizer,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  async raw(method: string, path: string, body?: Buffer, contentType?: string): Promise<Response> {
    return fetch(this.baseUrl + path, { method, body, headers: this.headers(contentType) });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { ...this.headers(json === undefined ? undefined : 'application/json'), ...this.authorize?.(method, path, json ?? '') },
      body: json,
    });
    const text = await res.text();
    const answer = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const b = (answer ?? {}) as { reason?: string; message?: unknown };
      throw new ApiError(res.status, b.reason ?? `HTTP_${res.status}`, typeof b.message === 'string' ? b.message : text.slice(0, 300), answer);
    }
    return answer as T;
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
