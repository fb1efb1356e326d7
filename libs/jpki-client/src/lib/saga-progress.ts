import type { HttpJson } from './http-json';
import { retrying } from './resilient-calls';

/** What both enrollment views (SIM and iPhone) have in common for following a saga. */
export interface SagaProgress {
  status: 'running' | 'compensating' | 'completed' | 'failed';
  step: string | null;
  state: string;
}

/**
 * Follows a saga view until it completes or fails, reporting each change of status, step or state (the JPKI-UI app's
 * progress bar). Long polling: each read sends the ETag it has and is answered at the next change. A read the service
 * could not answer (restarting, unreachable, 5xx) is tried again, as the app would; a refusal (4xx) ends the wait.
 */
export async function followSaga<V extends SagaProgress>(
  what: string,
  http: HttpJson,
  path: string,
  onProgress: ((v: V) => void) | undefined,
  timeoutMs: number,
): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  let etag: string | undefined;
  let last = '';
  let view: V | undefined;
  for (;;) {
    const waitSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil((deadline - Date.now()) / 1000)));
    const answer = await retrying(() => http.getVersioned<V>(path, etag, waitSeconds));
    etag = answer.etag;
    view = answer.body ?? view;
    if (view) {
      const marker = `${view.status}/${view.step}/${view.state}`;
      if (marker !== last) {
        last = marker;
        onProgress?.(view);
      }
      if (view.status === 'completed' || view.status === 'failed') return view;
    }
    if (Date.now() > deadline) throw new Error(`${what} still ${view?.status} at step ${view?.step} after ${timeoutMs} ms`);
    // A service that does not version its answers cannot make a read wait: poll it.
    if (!etag) await new Promise((r) => setTimeout(r, UNVERSIONED_POLL_MS));
  }
}

const MAX_WAIT_SECONDS = 20;
const UNVERSIONED_POLL_MS = 200;
