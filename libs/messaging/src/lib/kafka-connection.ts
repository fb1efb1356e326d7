import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, Partitioners, type Admin, type Producer, type LogEntry } from 'kafkajs';
import { createLogger } from '@jpki/observability';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';
import './kafkajs-idle-timers';

const KAFKAJS_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * How long the broker holds a long-lived consumer's fetch when nothing is there (a message ends it at once): idle
 * consumers fetch seldom, the session (≥ 6 s) still sees a heartbeat between fetches, and stopping, which waits for
 * the held fetch to return, takes at most this long. Every service runs three such consumers (its inbox, the inbox's
 * retries, the simulation clock).
 */
export const IDLE_FETCH_WAIT_MS = 2_000;

export interface KafkaScram {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

/**
 * The principal a process authenticates as: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD with KAFKA_SASL_MECHANISM
 * (SCRAM-SHA-512, the only one the brokers offer). None set: no authentication (a broker without SASL).
 */
export function kafkaSaslFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaScram | undefined {
  const username = env['KAFKA_SASL_USERNAME'];
  const password = env['KAFKA_SASL_PASSWORD'];
  if (!username && !password) return undefined;
  if (!username || !password) throw new Error('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together');
  const mechanism = env['KAFKA_SASL_MECHANISM'] ?? 'scram-sha-512';
  if (mechanism !== 'scram-sha-512') throw new Error(`KAFKA_SASL_MECHANISM ${mechanism} is not offered: scram-sha-512`);
  return { mechanism, username, password };
}

/**
 * TLS to the brokers: KAFKA_TLS_CA_FILE (PEM, the cluster CA a listener's certificate chains to, e.g. Strimzi's
 * <cluster>-cluster-ca-cert) or KAFKA_TLS=true (the system's trusted CAs). Neither: plain TCP (the local broker, the
 * cluster's internal listeners).
 */
export function kafkaTlsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions | undefined {
  const caFile = env['KAFKA_TLS_CA_FILE'];
  const flag = env['KAFKA_TLS'];
  if (flag !== undefined && flag !== '' && flag !== 'true' && flag !== 'false') throw new Error(`KAFKA_TLS=${flag}: true or false`);
  if (caFile) {
    if (flag === 'false') throw new Error('KAFKA_TLS_CA_FILE is set but KAFKA_TLS=false');
    return { ca: [readFileSync(caFile, 'utf8')] };
  }
  return flag === 'true' ? {} : undefined;
}

export function kafkaClient(clientId: string, brokers: string[], sasl: KafkaScram | undefined = kafkaSaslFromEnv(), tls: ConnectionOptions | undefined = kafkaTlsFromEnv()): Kafka {
  const logger = createLogger(`${clientId}.kafkajs`);
  return new Kafka({
    clientId,
    brokers,
    ...(sasl ? { sasl } : {}),
    ...(tls ? { ssl: tls } : {}),
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
