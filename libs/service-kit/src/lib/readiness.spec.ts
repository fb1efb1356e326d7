import type { DataSource } from 'typeorm';
import type { ConsumerStatus, KafkaConnection } from '@jpki/messaging';
import { Readiness } from './readiness';

function dependencies() {
  const state = { database: true, broker: true };
  const dataSource = { query: async () => (state.database ? [{ '?column?': 1 }] : Promise.reject(new Error('connection refused'))) } as unknown as DataSource;
  const kafka = { ping: async () => (state.broker ? { brokers: 1 } : Promise.reject(new Error('broker unreachable'))) } as unknown as KafkaConnection;
  const consumers = { healthy: () => state.broker, snapshot: () => ({ main: state.broker ? 'running' : 'crashed' }) } as unknown as ConsumerStatus;
  return { state, dataSource, kafka, consumers };
}

describe('readiness', () => {
  it('a service whose API needs the broker goes unready during a broker outage', async () => {
    const d = dependencies();
    const readiness = new Readiness(d.dataSource, d.kafka, d.consumers, false);
    expect((await readiness.check()).ready).toBe(true);
    d.state.broker = false;
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { kafka: { status: 'down' } } });
  });

  it('a service that serves without the broker (the CA: OCSP, CRL) stays ready through a broker outage, reported as degraded', async () => {
    const d = dependencies();
    const readiness = new Readiness(d.dataSource, d.kafka, d.consumers, true);
    expect(await readiness.check()).toMatchObject({ ready: true, degraded: false });
    d.state.broker = false;
    expect(await readiness.check()).toMatchObject({ ready: true, degraded: true, checks: { kafka: { status: 'down' }, consumers: { status: 'down' } } });
    d.state.broker = true;
    expect(await readiness.check()).toMatchObject({ ready: true, degraded: false });
  });

  it('still starts serving only once the broker and its consumers are up, and never without the database', async () => {
    const d = dependencies();
    d.state.broker = false;
    const readiness = new Readiness(d.dataSource, d.kafka, d.consumers, true);
    expect((await readiness.check()).ready).toBe(false);
    d.state.broker = true;
    expect((await readiness.check()).ready).toBe(true);
    d.state.database = false;
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { database: { status: 'down' } } });
    d.state.database = true;
    readiness.startDraining();
    expect((await readiness.check()).ready).toBe(false);
  });
});
