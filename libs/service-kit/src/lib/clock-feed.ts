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
 * topic from the beginning at start.
 */
@Injectable()
export class ClockFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('clock-feed');
  private consumer?: Consumer;

  constructor(
    private readonly clock: Clock,
    private readonly kafka: KafkaConnection,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const consumer = this.kafka.kafka.consumer({ groupId: `${this.options.consumerGroup}.clock.${randomUUID()}`, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.kafka.physical(Topics.platformClock.name), fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => this.apply(message.value?.toString('utf8')) });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
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
