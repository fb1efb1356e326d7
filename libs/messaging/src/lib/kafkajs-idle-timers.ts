/**
 * kafkajs 2.2.4 (the last release) re-arms a request-queue timer every millisecond on every broker connection even when
 * nothing is pending and nothing is throttled (tulios/kafkajs#1556, fix proposed in #1667, unreleased): an idle service
 * burned about 3 % of a core on it. This replaces that one method with the proposed fix: a check is scheduled only
 * while a request waits or a throttle is running. `kafkajs-idle-timers.spec.ts` fails if the internals move.
 */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

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
