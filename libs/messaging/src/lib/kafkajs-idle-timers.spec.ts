import { KafkajsRequestQueue } from './kafkajs-idle-timers';

type Queue = { pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null; checkPendingRequests(): void; destroy(): void };

describe('kafkajs request queue timers', () => {
  const logger = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };
  const queue = () => new (KafkajsRequestQueue as unknown as new (o: object) => Queue)({ clientId: 't', broker: 'b', logger, maxInFlightRequests: 1 });

  it('sets no timer on an idle connection (kafkajs#1556: it re-armed one every millisecond)', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('still re-checks a waiting request, and a throttled queue when the throttle ends', () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.throttledUntil = Date.now() + 60_000;
    waiting.checkPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    waiting.destroy();
    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.checkPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    throttled.destroy();
  });
});
