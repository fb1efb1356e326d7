import { KafkajsRequestQueue } from './kafkajs-idle-timers';

type Queue = {
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  scheduleRequestTimeoutCheck(): void;
  requestTimeoutIntervalId?: NodeJS.Timeout;
  pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null; checkPendingRequests(): void; destroy(): void };

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

  it('looks for timed-out requests once a second, and still fails a request that outlived its timeout', () => {
    jest.useFakeTimers();
    try {
      const q = new (KafkajsRequestQueue as unknown as new (o: object) => Queue)({ clientId: 't', broker: 'b', logger, maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: true });
      const timeoutRequest = jest.fn();
      const fresh = jest.fn();
      q.inflight.set(1, { sentAt: Date.now() - 31_000, requestTimeout: 30_000, timeoutRequest });
      q.inflight.set(2, { sentAt: Date.now(), requestTimeout: 30_000, timeoutRequest: fresh });
      q.scheduleRequestTimeoutCheck();
      jest.advanceTimersByTime(999);
      expect(timeoutRequest).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(timeoutRequest).toHaveBeenCalledTimes(1);
      expect(fresh).not.toHaveBeenCalled();
      q.destroy();
    } finally {
      jest.useRealTimers();
    }
  });

  it('watches every connection with one timer, and drops it with the last connection', () => {
    jest.useFakeTimers();
    try {
      const connection = () => new (KafkajsRequestQueue as unknown as new (o: object) => Queue)({ clientId: 't', broker: 'b', logger, maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: true });
      const queues = [connection(), connection(), connection()];
      queues.forEach((q) => q.scheduleRequestTimeoutCheck());
      expect(jest.getTimerCount()).toBe(1);
      const late = jest.fn();
      queues[2].inflight.set(1, { sentAt: Date.now() - 31_000, requestTimeout: 30_000, timeoutRequest: late });
      jest.advanceTimersByTime(1_000);
      expect(late).toHaveBeenCalledTimes(1);
      queues[0].destroy();
      queues[1].destroy();
      expect(jest.getTimerCount()).toBe(1);
      queues[2].destroy();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
