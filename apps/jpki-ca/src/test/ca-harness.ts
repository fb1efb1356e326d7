/** Test harness: a jpki-ca app on the real broker and database, with its own topic namespace. */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  Headers,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  physicalTopics,
  type CertificateIssuanceRequested,
  type Envelope,
  type MessageDefinition,
  type PayloadOf,
} from '@jpki/contracts';
import { kafkaClient, ProducerIdentity } from '@jpki/messaging';
import { VirtualMyNumberCard, type CardFile } from '@jpki/mynumber-card';
import { Clock, createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { rawProducer, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil, type ReceivedMessage } from '@jpki/testing';
import { CaModule } from '../app.module';
import { loadCaConfig, type CaConfig } from '../config';
import { CA_OPENAPI, caDefinition } from '../definition';

export const PASSWORD = 'JPKI2026';
export const PIN = '1234';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Creates the CA's topics (commands/events with retry and DLQ) under a prefix of this test file only, then waits
 * until every partition has a leader. Right after creation (and while other runs delete their topics) the broker
 * may answer UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's own waitForLeaders does not retry: retry here.
 */
async function createTopics(prefix: string): Promise<void> {
  const admin = kafkaClient('jpki-ca-test-setup', testKafkaBrokers()).admin();
  await admin.connect();
  try {
    // ca.* plus platform.clock, which every service's ClockFeed subscribes to at start.
    const wanted = physicalTopics(prefix).filter((t) => /\.(ca\.(commands|events)|platform\.clock)(\.retry|\.dlq)?$/.test(t.name));
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: false, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })) });
    }
    await waitUntil(
      async () => {
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
          return topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        } catch {
          return false;
        }
      },
      20_000,
      `leaders for ${prefix}ca.* topics`,
    );
  } finally {
    await admin.disconnect();
  }
}

/** What replicas of one deployment share: keys (KEK, identities), schema, topic namespace, public URL. */
export interface Deployment {
  readonly keys: StackKeys;
  readonly schema: string;
  /** Logical-topic prefix below the run prefix, e.g. `ca1.` */
  readonly topicTag: string;
  readonly publicBaseUrl?: string;
}

export async function newDeployment(tag: string, publicBaseUrl?: string): Promise<Deployment> {
  const topicTag = `${tag}.`;
  await createTopics(testTopicPrefix() + topicTag);
  // testSchema() counts per module registry, which Jest resets per test file: add the tag to stay unique.
  return { keys: new StackKeys(['jpki-ca', 'sp-tsm', 'lifecycle']), schema: `${testSchema('jpki_ca')}_${tag}`, topicTag, publicBaseUrl };
}

export interface HarnessOptions {
  /** Short tag naming this file's topic namespace (a new deployment), or an existing deployment to join. */
  readonly tag?: string;
  readonly deployment?: Deployment;
  readonly port?: number;
  readonly env?: Record<string, string>;
  /** Watch the CA's topics and produce commands (default true). */
  readonly messaging?: boolean;
}

export interface TestCitizen {
  readonly personId: string;
  readonly cardFile: CardFile;
  readonly card: VirtualMyNumberCard;
  readonly signingSerial: string;
  readonly authSerial: string;
  readonly authNotAfter: string;
}

type IssuanceRequest = PayloadOf<typeof CertificateIssuanceRequested>;

export class CaHarness {
  watcher?: TopicWatcher;
  private producer?: Awaited<ReturnType<typeof rawProducer>>;
  /** The citizens this harness created, by person id (their cards sign the applications of `proofingFor`). */
  private readonly citizens = new Map<string, TestCitizen>();

  private constructor(
    readonly app: INestApplication,
    readonly config: CaConfig,
    readonly keys: StackKeys,
    /** Logical-topic prefix below the run prefix, e.g. `ca1.` */
    readonly topicTag: string,
  ) {}

  static async start(options: HarnessOptions): Promise<CaHarness> {
    const deployment = options.deployment ?? (await newDeployment(options.tag ?? 'ca'));
    const { keys, topicTag } = deployment;
    const port = options.port ?? (await freePort());
    const config = loadCaConfig({
      HTTP_PORT: String(port),
      DB_SCHEMA: deployment.schema,
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: testTopicPrefix() + topicTag,
      LOG_LEVEL: 'warn',
      KEY_POOL_SIZE: '6',
      CARD_FILE_KDF_LOG2N: '10',
      CRL_DEBOUNCE_MS: '50',
      ...(deployment.publicBaseUrl ? { PUBLIC_BASE_URL: deployment.publicBaseUrl } : {}),
      ...keys.envFor('jpki-ca'),
      ...options.env,
    });
    const definition = caDefinition(config);
    const app = await createServiceApp({ definition, module: CaModule.register(definition), openApi: CA_OPENAPI });
    await app.listen(port, '127.0.0.1');
    const harness = new CaHarness(app, config, keys, topicTag);
    if (options.messaging !== false) {
      harness.watcher = await new TopicWatcher().watch(`${topicTag}ca.events`, `${topicTag}ca.commands.dlq`);
      harness.producer = await rawProducer();
    }
    return harness;
  }

  get port(): number {
    return this.config.HTTP_PORT;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  get<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type);
  }

  http() {
    return request(this.app.getHttpServer());
  }

  token(...roles: OperatorRole[]): string {
    return `Bearer ${this.keys.operatorToken(`test-${roles.join('-')}`, roles)}`;
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS q`, params);
    return row.n;
  }

  envelope<D extends MessageDefinition>(definition: D, payload: PayloadOf<D>, producer = 'sp-tsm', messageId = randomUUID()): Envelope {
    const unsigned: Omit<Envelope, 'signature'> = {
      messageId,
      type: definition.type,
      schemaVersion: definition.schemaVersion,
      correlationId: `test-${messageId.slice(0, 8)}`,
      causationId: null,
      occurredAt: new Date().toISOString(),
      producer,
      payload,
    };
    const keys = this.keys.keys.get(producer);
    const signature = keys ? ProducerIdentity.fromBase64Pkcs8(producer, keys.signingPkcs8).sign(unsigned) : undefined;
    return { ...unsigned, ...(signature ? { signature } : {}) };
  }

  /** Publishes envelopes to this deployment's ca.commands topic, keyed as the contract says. */
  async sendEnvelopes<D extends MessageDefinition>(definition: D, envelopes: Envelope[]): Promise<void> {
    if (!this.producer) throw new Error('this harness has no producer');
    await this.producer.sendTo(
      `${this.topicTag}ca.commands`,
      envelopes.map((e) => ({
        key: definition.key(e.payload as PayloadOf<D>),
        value: JSON.stringify(e),
        headers: { [Headers.messageId]: e.messageId, [Headers.messageType]: e.type, [Headers.correlationId]: e.correlationId, [Headers.producer]: e.producer },
      })),
    );
  }

  async send<D extends MessageDefinition>(definition: D, payload: PayloadOf<D>, producer = 'sp-tsm'): Promise<Envelope> {
    const envelope = this.envelope(definition, payload, producer);
    await this.sendEnvelopes(definition, [envelope]);
    return envelope;
  }

  events<P = Record<string, unknown>>(type: string, requestId?: string): P[] {
    return (this.watcher?.messages ?? [])
      .filter((m) => m.topic === `${this.topicTag}ca.events`)
      .map((m) => m.json<Envelope<P>>())
      .filter((e) => e.type === type && (requestId === undefined || (e.payload as { requestId?: string }).requestId === requestId))
      .map((e) => e.payload);
  }

  /** How many `type` events the CA published, by their message-type header: a benchmark's wait parses nothing on the CA's thread. */
  eventCount(type: string): number {
    return (this.watcher?.messages ?? []).filter((m) => m.topic === `${this.topicTag}ca.events` && m.headers[Headers.messageType] === type).length;
  }

  async waitForEvent<P = Record<string, unknown>>(type: string, predicate: (payload: P) => boolean, timeoutMs = 15_000): Promise<P> {
    return waitUntil(() => this.events<P>(type).find(predicate), timeoutMs, `${type} event`);
  }

  /** The answer to a request: the first event carrying its requestId among the given types. */
  async answer<P = Record<string, unknown>>(requestId: string, types: string[], timeoutMs = 15_000): Promise<{ type: string; payload: P }> {
    return waitUntil(
      () => {
        for (const m of this.watcher?.messages ?? []) {
          if (m.topic !== `${this.topicTag}ca.events`) continue;
          const e = m.json<Envelope<P>>();
          if (types.includes(e.type) && (e.payload as { requestId?: string }).requestId === requestId) return { type: e.type, payload: e.payload };
        }
        return undefined;
      },
      timeoutMs,
      `answer to ${requestId}`,
    );
  }

  deadLetters(): ReceivedMessage[] {
    return (this.watcher?.messages ?? []).filter((m) => m.topic === `${this.topicTag}ca.commands.dlq`);
  }

  async createCitizen(overrides: Record<string, unknown> = {}): Promise<TestCitizen> {
    const res = await this.http()
      .post('/citizens')
      .set('authorization', this.token('integrator'))
      .send(citizenBody(overrides))
      .expect(201);
    const cardFile = res.body.cardFile as CardFile;
    const citizen: TestCitizen = {
      personId: res.body.personId,
      cardFile,
      card: VirtualMyNumberCard.open(cardFile),
      signingSerial: res.body.certificates.signing.serial,
      authSerial: res.body.certificates.userAuthentication.serial,
      authNotAfter: res.body.certificates.userAuthentication.notAfter,
    };
    this.citizens.set(citizen.personId, citizen);
    return citizen;
  }

  /**
   * A verified identity proofing of a citizen this harness created, for this phone and key mode: the application
   * the card signs names the phone's number and operator (and an eSE's SEID), or the iPhone, as sp-tsm's enrollment does. Returns its
   * request id, the `proofingRequestId` a phone issuance consumes.
   */
  async proofingFor(personId: string, device: IssuanceRequest['device'], keyMode: 'csr' | 'ca-generated', signingCertificate = false): Promise<string> {
    const citizen = this.citizens.get(personId);
    if (!citizen) throw new Error(`this harness did not create person ${personId}`);
    const application = {
      purpose: 'phone-enrollment',
      nonce: randomBytes(16).toString('base64url'),
      requestedAt: this.get(Clock).now().toISOString(),
      ...(device.kind === 'iphone' ? { carrier: 'docomo', msisdn: '+819011112222' } : { ...(device.mvno ? { mvno: device.mvno } : { carrier: device.carrier }), msisdn: device.msisdn }),
      keyMode: keyMode === 'csr' ? 'on-device' : 'ca-generated',
      deviceKind: device.kind,
      ...(device.kind === 'iphone' ? { deviceId: device.deviceId } : {}),
      ...(device.kind === 'ese' ? { seid: device.seid } : {}),
      ...(signingCertificate ? { signingCertificate } : {}),
    };
    const signed = await citizen.card.signApplication(PASSWORD, Buffer.from(JSON.stringify(application)));
    const requestId = `prf-${randomUUID()}`;
    await this.send(IdentityProofingRequested, { requestId, signedApplication: signed.toString('base64') });
    const { payload } = await this.answer<PayloadOf<typeof IdentityProofingCompleted>>(requestId, [IdentityProofingCompleted.type]);
    if (!payload.verified) throw new Error(`identity proofing of ${personId} refused: ${payload.reason} ${payload.detail ?? ''}`);
    return requestId;
  }

  /** Consumers leave their groups concurrently (each waits for its in-flight fetch, up to ~5 s). */
  async stop(): Promise<void> {
    await Promise.all([this.watcher?.stop(), this.producer?.disconnect(), this.app.close()]);
  }
}

/** A `POST /citizens` body for a synthetic person with the harness's PASSWORD and PIN. */
export function citizenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: '試験 太郎',
    gender: 'male',
    dateOfBirth: '1985-06-15',
    address: '東京都千代田区霞が関２丁目１番２号',
    prefecture: 'Tokyo-to',
    municipality: 'Chiyoda-ku',
    signingPassword: PASSWORD,
    userAuthenticationPin: PIN,
    ...overrides,
  };
}
