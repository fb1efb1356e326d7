import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { envelopeSchema, SimulationClockSet, Topics, type Envelope } from '@jpki/contracts';
import { IDLE_FETCH_WAIT_MS, KafkaConnection, MESSAGING_OPTIONS, type MessagingOptions, type ProducerCheck, type TrustedProducers } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock, clockMoveRefusal, DAY_MS } from './clock';
import type { BaseConfig } from './config';
import { SERVICE_CONFIG } from './tokens';

/**
 * Feeds the environment's simulation clock to this process. Every instance must see every clock
 * change, so this consumer has a group of its own (a broadcast, not a work queue) and replays the
 * topic from the beginning at start. A graceful shutdown deletes that group; after a crash the broker
 * drops the empty, offset-less group at its next offsets clean-up.
 *
 * The topic is kept forever and anyone with broker access could write to it, so a message moves the clock only when
 * it is signed by the clock authority (the producer routed for `platform.clock.set`: lifecycle), moves it forward and
 * by no more than SIMULATION_CLOCK_MAX_JUMP_DAYS (the same rules as POST /clock, `clockMoveRefusal`). Anything else
 * is ignored, at every replay. With the clock off (0 days) the feed does not run.
 */
@Injectable()
export class ClockFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('clock-feed');
  private readonly groupId: string;
  private consumer?: Consumer;
  private starting?: Promise<void>;
  private stopped = true;
  private readonly trusted?: TrustedProducers;
  private readonly maxJumpMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly kafka: KafkaConnection,
    @Inject(MESSAGING_OPTIONS) options: MessagingOptions,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
  ) {
    this.groupId = `${options.consumerGroup}.clock.${randomUUID()}`;
    this.trusted = options.trustedProducers;
    this.maxJumpMs = config.SIMULATION_CLOCK_MAX_JUMP_DAYS * DAY_MS;
  }

  /** Starts in the background: a missing clock topic must not stop the service from serving. */
  onApplicationBootstrap(): void {
    if (this.maxJumpMs <= 0) {
      this.log.info('simulation clock off (SIMULATION_CLOCK_MAX_JUMP_DAYS=0): machine time only');
      return;
    }
    this.stopped = false;
    this.starting = this.connect();
  }

  private async connect(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const consumer = this.kafka.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: IDLE_FETCH_WAIT_MS });
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

  /** Applies one message of the topic if the clock authority signed it and the move is allowed; otherwise ignores it. */
  apply(value: string | undefined): void {
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(value ?? '')) as Envelope;
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed clock message');
      return;
    }
    if (envelope.type !== SimulationClockSet.type) return;
    const admitted: ProducerCheck = this.trusted
      ? this.trusted.check(envelope, SimulationClockSet, Topics.platformClock.name)
      : { ok: false, reason: 'PRODUCER_NOT_AUTHORIZED', detail: 'no trusted producer keys configured' };
    if (!admitted.ok) {
      this.log.warn({ messageId: envelope.messageId, producer: envelope.producer, reason: admitted.reason, detail: admitted.detail }, 'ignoring a clock message not from the clock authority');
      return;
    }
    const parsed = SimulationClockSet.schema.safeParse(envelope.payload);
    if (!parsed.success) {
      this.log.warn({ messageId: envelope.messageId, detail: parsed.error.message }, 'ignoring a malformed clock message');
      return;
    }
    const { offsetMs, setBy } = parsed.data;
    const refusal = clockMoveRefusal(this.clock.offset, offsetMs, this.maxJumpMs);
    if (refusal) {
      // An offset already reached is normal (this instance moved first, or a replay): only a bad jump is worth a warning.
      if (refusal.reason !== 'CLOCK_NOT_FORWARD') this.log.warn({ messageId: envelope.messageId, setBy, ...refusal }, 'ignoring a clock move');
      return;
    }
    this.clock.setOffset(offsetMs);
    this.log.info({ offsetMs, setBy, now: this.clock.now().toISOString() }, 'simulation clock moved');
  }
}
