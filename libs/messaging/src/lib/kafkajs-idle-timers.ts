/**
 * kafkajs 2.2.4 (the last release) re-arms a request-queue timer every millisecond on every broker connection even when
 * nothing is pending and nothing is throttled (tulios/kafkajs#1556, fix proposed in #1667, unreleased): an idle service
 * burned about 3 % of a core on it. This replaces that method with the proposed fix: a check is scheduled only
 * while a request waits or a throttle is running. Timed-out requests are looked for by one timer a second for all the
 * process's connections instead of a timer every 100 ms on each (a service holds about eight connections: eighty
 * wake-ups a second while idle; the request timeout is 30 s, so a late request is now failed within a second of its
 * timeout instead of 100 ms). `kafkajs-idle-timers.spec.ts` fails if the internals move.
 */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  enforceRequestTimeout: boolean;
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  isConnected(): boolean;
  destroy(): void;
  scheduleRequestTimeoutCheck(): void;
}

/** How often the process looks for requests that outlived their timeout, on all its connections. */
const REQUEST_TIMEOUT_CHECK_MS = 1000;

/** kafkajs's own interval for re-checking a request that had to wait. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

export const KafkajsRequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

KafkajsRequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const throttledFor = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && throttledFor <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL,
  );
};

/** Every connection that enforces request timeouts: one timer looks at all of them, not one timer per connection. */
const watched = new Set<RequestQueueInternals>();
let sweep: NodeJS.Timeout | undefined;

function failTimedOutRequests(): void {
  const now = Date.now();
  for (const queue of watched) {
    for (const request of queue.inflight.values()) if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
    if (!queue.isConnected()) queue.destroy();
  }
}

KafkajsRequestQueue.prototype.scheduleRequestTimeoutCheck = function scheduleRequestTimeoutCheck(this: RequestQueueInternals): void {
  if (!this.enforceRequestTimeout) return;
  watched.add(this);
  sweep ??= setInterval(failTimedOutRequests, REQUEST_TIMEOUT_CHECK_MS);
};

const destroy = KafkajsRequestQueue.prototype.destroy;
KafkajsRequestQueue.prototype.destroy = function destroyQueue(this: RequestQueueInternals): void {
  watched.delete(this);
  if (watched.size === 0 && sweep) {
    clearInterval(sweep);
    sweep = undefined;
  }
  destroy.call(this);
};
