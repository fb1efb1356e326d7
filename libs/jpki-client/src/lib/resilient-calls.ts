import { ApiError } from './http-json';

/** A refusal by the platform (4xx) is an outcome; anything else (connection refused, 5xx, timeout) is worth retrying. */
function transient(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status >= 500;
}

/** Retries a call while the service it calls is down (killed, restarting, or waiting for the broker), up to `windowMs`. */
export async function retrying<T>(call: () => Promise<T>, windowMs = 90_000): Promise<T> {
  const deadline = Date.now() + windowMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!transient(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** How long a simulation waits for a saga through service restarts and faults (the long poll retries reads a service cannot answer). */
export const THROUGH_FAULTS_TIMEOUT_MS = 240_000;

/** Polls a view until `done` holds; throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, view: () => Promise<T>, done: (v: T) => boolean, timeoutMs = THROUGH_FAULTS_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await view();
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`${what} not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A client-side outcome label for a failed call: `refused:<REASON>` for a platform refusal, `error:<message>` otherwise. */
export function outcomeOfError(err: unknown): string {
  if (err instanceof ApiError) return `refused:${err.reason}`;
  return `error:${(err as Error).message.split('\n')[0].slice(0, 60)}`;
}
