import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProbePing, Topics } from '@jpki/contracts';
import { Outbox, OutboxRelay } from '@jpki/messaging';
import { testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil } from '@jpki/testing';
import { baseConfigSchema, createServiceApp, loadConfig, type ServiceDefinition } from '../index';
import { ProbeModule, probeMigrations } from './probe-service';

const probe = Topics.platformProbe;

/** Two replicas of one service on one schema: one outbox relay leads, the other stands by. */
describe('outbox relay leadership across a lost lock connection', () => {
  const schema = testSchema('relay');
  const replicas: INestApplication[] = [];
  let watcher: TopicWatcher;

  function definition(): ServiceDefinition {
    const config = loadConfig(baseConfigSchema, {
      HTTP_PORT: '0',
      DB_SCHEMA: schema,
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      LOG_LEVEL: 'error',
    });
    return { name: 'relay-probe', config, entities: [], migrations: probeMigrations, subscriptions: [] };
  }

  const relays = () => replicas.map((r) => r.get(OutboxRelay));
  const leaders = () => relays().filter((r) => r.active).length;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const def = definition();
      const app = await createServiceApp({ definition: def, module: ProbeModule.register(def), openApi: { title: 'relay-probe', description: 'outbox relay test' } });
      await app.listen(0, '127.0.0.1');
      replicas.push(app);
    }
    watcher = await new TopicWatcher().watch(probe.name);
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
    for (const app of replicas) await app.close();
  });

  it('stands down when its lock connection dies (PostgreSQL restart), so two relays never lead at once; per-key order holds', async () => {
    await waitUntil(() => leaders() === 1, 20_000, 'one relay leading');
    const ds = replicas[0].get(DataSource);
    const holder = async () =>
      ((await ds.query(
        `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
        [`${schema}.outbox-relay`],
      )) as { pid: number }[]).map((r) => r.pid);
    const [leaderPid] = await holder();
    expect(leaderPid).toBeDefined();

    await ds.query(`SELECT pg_terminate_backend($1)`, [leaderPid]);

    // The standby takes the lock; the old leader must have stood down rather than keep publishing beside it.
    // One snapshot of the lock holders: the killed backend may still be listed in one query and gone in the next.
    await waitUntil(
      async () => {
        const holders = await holder();
        return holders.length === 1 && holders[0] !== leaderPid && leaders() === 1;
      },
      20_000,
      'a new, single leader',
    );
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect(leaders()).toBe(1);
    }

    const key = `relay-order-${schema}`;
    for (let sequence = 1; sequence <= 40; sequence++) {
      const replica = replicas[sequence % 2];
      await replica.get(DataSource).transaction((m) => replica.get(Outbox).publish(m, ProbePing, { probeId: key, sequence }));
    }
    await waitUntil(() => watcher.messages.filter((m) => m.key === key).length === 40, 30_000, '40 pings published');
    const order = watcher.messages.filter((m) => m.key === key).map((m) => (m.json() as { payload: { sequence: number } }).payload.sequence);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }, 90_000);
});
