/** What both enrollment views (SIM and iPhone) have in common for following a saga. */
export interface SagaProgress {
  status: 'running' | 'compensating' | 'completed' | 'failed';
  step: string | null;
  state: string;
}

/**
 * Polls a saga view until it completes or fails, reporting each change of status, step or state
 * (the JPKI-UI app's progress bar).
 */
export async function followSaga<V extends SagaProgress>(
  what: string,
  fetchView: () => Promise<V>,
  onProgress: ((v: V) => void) | undefined,
  timeoutMs: number,
  pollMs = 200,
): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const view = await fetchView();
    const marker = `${view.status}/${view.step}/${view.state}`;
    if (marker !== last) {
      last = marker;
      onProgress?.(view);
    }
    if (view.status === 'completed' || view.status === 'failed') return view;
    if (Date.now() > deadline) throw new Error(`${what} still ${view.status} at step ${view.step} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
