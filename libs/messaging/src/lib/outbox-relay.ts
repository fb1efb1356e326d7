import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Headers } from '@jpki/contracts';
import { contextOfTraceparent, counter, createLogger, kafkaSpanAttributes, markFailed, SpanKind, startSpan } from '@jpki/observability';
import { KafkaConnection } from './kafka-connection';
import { outboxChannel } from './messaging-schema';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';
import { PgListener } from './pg-listener';
import { WakeableLoop } from './wakeable-loop';

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string>;
  body: string;
}

const BATCH = 200;
/** Every commit that adds to the outbox wakes the leader (NOTIFY), and every reconnect does; this is only the fallback. */
const LEADER_POLL_MS = 5_000;
/** How soon a standby notices the leader is gone and takes over. */
const STANDBY_POLL_MS = 2_000;
/** After a failed run (the broker or the database away): try again soon. */
const RETRY_MS = 500;
const RETENTION = '1 hour';

/**
 * Drains the outbox into Kafka. One relay per schema is active at a time (a PostgreSQL advisory
 * lock held by its LISTEN connection), which keeps per-key order; the others stand by. The lock dies
 * with its connection (a PostgreSQL restart, a killed backend): the relay then stops leading at once,
 * and every publishing transaction also takes a transaction-level lock, so a relay that has not yet
 * noticed it lost the lead can never publish beside the new leader.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('outbox-relay');
  private readonly published = counter('outbox_published_total', 'Outbox messages delivered to Kafka', ['topic']);
  private readonly listener: PgListener;
  private leader = false;
  private failing = false;
  private lastCleanup = 0;
  private readonly loop = new WakeableLoop(
    () => this.iteration(),
    () => (!this.leader ? STANDBY_POLL_MS : this.failing ? RETRY_MS : LEADER_POLL_MS),
    (err) => this.log.error({ err }, 'outbox relay iteration failed'),
  );

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly dataSource: DataSource,
    private readonly kafka: KafkaConnection,
  ) {
    this.listener = new PgListener({
      databaseUrl: options.databaseUrl,
      channel: outboxChannel(options.schema),
      applicationName: this.lockName,
      onNotification: () => this.loop.nudge(),
      onChange: (listening) => this.listenerChanged(listening),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
    this.loop.start();
  }

  /** Before the database and the producer close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    this.leader = false;
    await this.listener.stop();
  }

  /** Publishes everything pending now; used by the loop and by tests. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.publishBatch();
      total += sent;
      if (sent < BATCH) return total;
    }
  }

  /** Whether this relay holds the lead (tests and diagnostics). */
  get active(): boolean {
    return this.leader;
  }

  private async iteration(): Promise<void> {
    try {
      await this.competeForLead();
      if (this.leader) {
        await this.drain();
        await this.cleanup();
      }
      this.failing = false;
    } catch (err) {
      this.failing = true;
      this.listener.reconnect();
      throw err;
    }
  }

  private async competeForLead(): Promise<void> {
    if (this.leader || !this.listener.listening) return;
    const [{ locked }] = await this.listener.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [this.lockName]);
    this.leader = locked;
    if (locked) this.log.info({ schema: this.options.schema }, 'outbox relay is active');
  }

  private get lockName(): string {
    return `${this.options.schema}.outbox-relay`;
  }

  /** A new connection holds no lock; a lost one took it along: stop leading now and compete again on the next run. */
  private listenerChanged(listening: boolean): void {
    if (!listening && this.leader) this.log.warn({ schema: this.options.schema }, 'outbox relay lost its lock connection; standing down');
    this.leader = false;
    this.loop.nudge();
  }

  private async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // Only the holder of the publish fence takes (and so sends) anything. The batch is marked published in the same
      // statement; a failed send throws, and the rollback leaves it unpublished for the next run.
      const [rows]: [OutboxRow[], number] = await manager.query(
        `WITH fence AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS held),
              batch AS (SELECT id FROM outbox, fence
                         WHERE fence.held AND published_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE OF outbox)
         UPDATE outbox SET published_at = now() FROM batch WHERE outbox.id = batch.id
         RETURNING outbox.id, outbox.topic, outbox.message_key, outbox.headers, outbox.body`,
        [`${this.options.schema}.outbox-publish`],
      );
      if (rows.length === 0) return 0;
      rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      await this.sendTraced(rows);
      rows.forEach((r) => this.published.inc({ topic: r.topic }));
      return rows.length;
    });
  }

  /** One send span per message, in the trace of the span that created it (the traceparent it carries). */
  private async sendTraced(rows: OutboxRow[]): Promise<void> {
    const spans = rows.map((r) =>
      startSpan(`send ${r.topic}`, {
        kind: SpanKind.CLIENT,
        parent: contextOfTraceparent(r.headers[Headers.traceparent]),
        attributes: kafkaSpanAttributes('send', r.topic, r.headers[Headers.messageType] ?? 'unknown', {
          'messaging.message.id': r.headers[Headers.messageId] ?? '',
          'messaging.kafka.message.key': r.message_key,
        }),
      }),
    );
    try {
      await this.kafka.producer.sendBatch({ acks: -1, topicMessages: this.groupByTopic(rows) });
    } catch (err) {
      spans.forEach((span) => markFailed(span, err));
      throw err;
    } finally {
      spans.forEach((span) => span.end());
    }
  }

  private groupByTopic(rows: OutboxRow[]) {
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const r of rows) {
      const topic = this.kafka.physical(r.topic);
      const list = byTopic.get(topic) ?? [];
      list.push({ key: r.message_key, value: r.body, headers: r.headers });
      byTopic.set(topic, list);
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private async cleanup(): Promise<void> {
    if (Date.now() - this.lastCleanup < 60_000) return;
    this.lastCleanup = Date.now();
    await this.dataSource.query(`DELETE FROM outbox WHERE published_at < now() - interval '${RETENTION}'`);
  }
}
