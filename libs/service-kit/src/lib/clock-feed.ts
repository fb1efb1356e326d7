import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { envelopeSchema, SimulationClockSet, Topics } from '@jpki/contracts';
import { KafkaConnection, MESSAGING_OPTIONS, type MessagingOptions } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock } from './clock';

/**
 * Feeds the environment's simulation clock to this process. Every instance must see every clock
 * change, so this consumer has a group of its own (a broadcast, not a work queue) and replays the
 * topic from the beginning at start. A graceful shutdown deletes that group; after a crash the broker
 * drops the empty, offset-less group at its next offsets clean-up.
 */
@Injectable()
export class ClockFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('clock-feed');
  private readonly groupId: string;
  private consumer?: Consumer;
  private starting?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    private readonly kafka: KafkaConnection,
    @Inject(MESSAGING_OPTIONS) options: MessagingOptions,
  ) {
    this.groupId = `${options.consumerGroup}.clock.${randomUUID()}`;
  }

  /** Starts in the background: a missing clock topic must not stop the service from serving. */
  onApplicationBootstrap(): void {
    this.stopped = false;
    this.starting = this.connect();
  }

  private async connect(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const consumer = this.kafka.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500 });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: this.kafka.physical(Topics.platformClock.name), fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => this.apply(message.value?.toString('utf8')) });
        this.consumer = consumer;
        return;
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        this.log.warn({ err, attempt }, 'simulation clock feed not available yet; retrying');
        for (let waited = 0; waited < Math.min(30_000, 1000 * attempt) && !this.stopped; waited += 250) {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting;
    if (!this.consumer) return;
    await this.consumer.disconnect();
    await this.kafka.deleteGroup(this.groupId).catch((err: unknown) => this.log.warn({ err, groupId: this.groupId }, 'clock feed group not deleted'));
  }

  private apply(value: string | undefined): void {
    try {
      const envelope = envelopeSchema.parse(JSON.parse(value ?? ''));
      if (envelope.type !== SimulationClockSet.type) return;
      const { offsetMs, setBy } = SimulationClockSet.schema.parse(envelope.payload);
      if (offsetMs <= this.clock.offset) return;
      this.clock.setOffset(offsetMs);
      this.log.info({ offsetMs, setBy, now: this.clock.now().toISOString() }, 'simulation clock moved');
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed clock message');
    }
  }
}
