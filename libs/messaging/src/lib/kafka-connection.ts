import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Kafka, logLevel, Partitioners, type Admin, type Producer, type LogEntry } from 'kafkajs';
import { createLogger } from '@jpki/observability';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';

const KAFKAJS_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function kafkaClient(clientId: string, brokers: string[]): Kafka {
  const logger = createLogger(`${clientId}.kafkajs`);
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        logger[KAFKAJS_LEVELS[level] ?? 'info']({ kafkajs: rest }, message);
      },
  });
}

/**
 * The process's Kafka client, its producer and a long-lived admin used by readiness checks
 * (a probe never opens a fresh connection).
 */
@Injectable()
export class KafkaConnection implements OnModuleInit, OnApplicationShutdown {
  readonly kafka: Kafka;
  readonly producer: Producer;
  private readonly admin: Admin;
  private adminConnected = false;

  constructor(@Inject(MESSAGING_OPTIONS) readonly options: MessagingOptions) {
    this.kafka = kafkaClient(options.serviceName, options.brokers);
    this.producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
    });
    this.admin = this.kafka.admin();
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
    await this.admin.connect();
    this.adminConnected = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.adminConnected = false;
    await this.admin.disconnect();
    await this.producer.disconnect();
  }

  /** Deletes a consumer group that only this process used (e.g. a per-instance broadcast group) once it has no members. */
  async deleteGroup(groupId: string): Promise<void> {
    if (!this.adminConnected) throw new Error('kafka admin not connected');
    await this.admin.deleteGroups([groupId]);
  }

  physical(logicalTopic: string): string {
    return this.options.topicPrefix + logicalTopic;
  }

  /** Readiness: the broker answers a metadata request within the timeout. */
  async ping(timeoutMs = 2000): Promise<{ brokers: number; controller: number | null }> {
    if (!this.adminConnected) throw new Error('kafka admin not connected');
    const cluster = await withTimeout(this.admin.describeCluster(), timeoutMs, 'kafka describeCluster');
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
