import { Counter, Histogram, Registry, collectDefaultMetrics, type Gauge } from 'prom-client';

/** One Prometheus registry per process, served at /metrics. */
export const metricsRegistry = new Registry();
let defaultsCollected = false;
const EVENT_LOOP_SAMPLE_MS = 100;

export function collectProcessMetrics(service: string): void {
  if (defaultsCollected) return;
  metricsRegistry.setDefaultLabels({ service });
  // prom-client samples event-loop delay with a libuv timer every 10 ms by default: 100 wake-ups a second in every
  // process, about 5 ms of CPU a second each on an idle service. Ten samples a second still show a stalled loop.
  collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  defaultsCollected = true;
}

const counters = new Map<string, Counter<string>>();
const histograms = new Map<string, Histogram<string>>();

export function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  let c = counters.get(name);
  if (!c) {
    c = new Counter({ name, help, labelNames, registers: [metricsRegistry] });
    counters.set(name, c);
  }
  return c;
}

export function histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram<string> {
  let h = histograms.get(name);
  if (!h) {
    h = new Histogram({ name, help, labelNames, registers: [metricsRegistry], ...(buckets ? { buckets } : {}) });
    histograms.set(name, h);
  }
  return h;
}

export type { Gauge };
