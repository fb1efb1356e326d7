import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  CARRIER_PROFILES,
  deadLetterTopicName,
  Headers,
  ScriptForwarded,
  ScriptForwardRequested,
  Topics,
  topicOf,
  type Carrier,
  type MessageDefinition,
  type PayloadInput,
  type PayloadOf,
} from '@jpki/contracts';
import { fromHex, hex, type ScriptTransport } from '@jpki/globalplatform';
import { ensureTopics, kafkaClient, ProducerIdentity } from '@jpki/messaging';
import { createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { rawProducer, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil, type ReceivedMessage } from '@jpki/testing';
import { MnoTsmModule } from '../app.module';
import { loadMnoTsmConfig, type MnoTsmSettings } from '../config';
import { mnoTsmDefinition } from '../definition';
import { luhnCheckDigit } from '../domain/iccid';
import { TestVsimResponder } from './test-vsim-responder';

/** This instance's topics under its own sub-prefix; a fresh topic's metadata can lag, so retry briefly. */
export async function createTopics(prefix: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafkaClient('mno-test-setup', testKafkaBrokers()), prefix);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

export type Sender = 'sp-tsm' | 'lifecycle' | 'unsigned' | 'forged-sp-tsm';

/** A valid IMEI (15 digits, Luhn) from a 14-digit body. */
export function imei(body = String(Date.now()).slice(-8).padStart(14, '35')): string {
  return `${body}${luhnCheckDigit(body)}`;
}

/**
 * One MNO-TSM instance under test, on the real broker and database, with its own topic
 * sub-prefix (inside this run's prefix, so no other test's consumers see its traffic) and a test
 * double of the vsim on the far side of the OTA bearer.
 */
export class MnoTsmUnderTest {
  app!: INestApplication;
  ds!: DataSource;
  settings!: MnoTsmSettings;
  responder!: TestVsimResponder;
  watcher!: TopicWatcher;
  readonly keys: StackKeys;
  readonly sub = `m${randomBytes(3).toString('hex')}.`;
  readonly name: string;
  private producer!: Awaited<ReturnType<typeof rawProducer>>;
  private readonly outsider = new StackKeys(['sp-tsm']);

  constructor(
    readonly carrier: Carrier,
    private readonly env: Record<string, string> = {},
  ) {
    this.name = `mno-tsm-${carrier}`;
    this.keys = new StackKeys([this.name, 'sp-tsm', 'vsim', 'lifecycle']);
  }

  get events(): string {
    return `${this.sub}${Topics.mnoEvents[this.carrier].name}`;
  }
  get commandsDlq(): string {
    return `${this.sub}${deadLetterTopicName(Topics.mnoCommands[this.carrier].name)}`;
  }
  get otaDown(): string {
    return `${this.sub}${Topics.otaDown[this.carrier].name}`;
  }

  async start(): Promise<this> {
    await createTopics(`${testTopicPrefix()}${this.sub}`);
    const { config, settings } = loadMnoTsmConfig({
      CARRIER: this.carrier,
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema(`mno_${this.carrier}`),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: `${testTopicPrefix()}${this.sub}`,
      LOG_LEVEL: 'warn',
      ISD_MASTER_KEY: randomBytes(CARRIER_PROFILES[this.carrier].scp03KeyBytes).toString('hex'),
      OTA_RESPONSE_TIMEOUT_MS: '1500',
      ...this.keys.envFor(this.name),
      ...this.env,
    });
    this.settings = settings;
    const definition = mnoTsmDefinition(config, settings);
    this.watcher = await new TopicWatcher().watch(this.events, this.commandsDlq, this.otaDown);
    this.producer = await rawProducer();
    this.responder = await new TestVsimResponder(this.carrier, this.sub, this.keys.keys.get('vsim')!, this.keys.keys.get(this.name)!).start();
    this.app = await createServiceApp({ definition, module: MnoTsmModule.register(definition, settings), openApi: { title: this.name, description: 'test' } });
    await this.app.listen(0, '127.0.0.1');
    this.ds = this.app.get(DataSource);
    return this;
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    await this.responder?.stop();
    await this.producer?.disconnect();
    await this.app?.close();
  }

  http() {
    return request(this.app.getHttpServer());
  }

  /** A token of one of this carrier's operators. */
  token(roles: OperatorRole[], sub = 'alice@ops'): string {
    return `Bearer ${this.keys.operatorToken(sub, roles, { carrier: this.carrier })}`;
  }

  /** Creates a subscriber through the operator API and waits until the test vsim manufactured its SIM. */
  async subscriber(body: Record<string, unknown> = {}): Promise<{ msisdn: string; iccid: string }> {
    const res = await this.http().post('/subscribers').set('authorization', this.token(['operator'])).send(body).expect(201);
    await this.waitStatus(res.body.msisdn, 'active');
    return { msisdn: res.body.msisdn, iccid: res.body.iccid };
  }

  async waitStatus(msisdn: string, status: string): Promise<void> {
    await waitUntil(async () => (await this.ds.query(`SELECT 1 FROM subscriber WHERE msisdn = $1 AND status = $2`, [msisdn, status])).length > 0, 20_000, `${msisdn} ${status}`);
  }

  /** Sends a command on this carrier's command topic as the given producer. */
  async send<D extends MessageDefinition>(def: D, input: PayloadInput<D>, as: Sender = 'sp-tsm', topicOverride?: string): Promise<string> {
    const payload = def.schema.parse(input) as PayloadOf<D>;
    const topic = topicOverride ?? topicOf(def, payload).name;
    const unsigned = {
      messageId: randomUUID(),
      type: def.type,
      schemaVersion: def.schemaVersion,
      correlationId: `corr-${randomUUID()}`,
      causationId: null,
      occurredAt: new Date().toISOString(),
      producer: as === 'lifecycle' ? 'lifecycle' : 'sp-tsm',
      payload,
    };
    const signer =
      as === 'sp-tsm' ? this.keys.keys.get('sp-tsm') : as === 'lifecycle' ? this.keys.keys.get('lifecycle') : as === 'forged-sp-tsm' ? this.outsider.keys.get('sp-tsm') : undefined;
    const envelope = signer ? { ...unsigned, signature: ProducerIdentity.fromBase64Pkcs8(unsigned.producer, signer.signingPkcs8).sign(unsigned) } : unsigned;
    await this.producer.sendTo(`${this.sub}${topic}`, [
      { key: def.key(payload), value: JSON.stringify(envelope), headers: { [Headers.messageId]: envelope.messageId, [Headers.messageType]: def.type } },
    ]);
    return envelope.messageId;
  }

  /** The reply on `mno.<carrier>.events` for a requestId (optionally of one type / matching a predicate). */
  async reply(requestId: string, type?: string, where: (m: ReceivedMessage) => boolean = () => true, timeoutMs = 30_000): Promise<{ type: string; payload: Record<string, unknown> }> {
    const msg = await this.watcher.waitFor(
      (m) => m.topic === this.events && m.json<{ payload: { requestId?: string } }>().payload.requestId === requestId && (!type || m.json<{ type: string }>().type === type) && where(m),
      timeoutMs,
      `${type ?? 'reply'} for ${requestId}`,
    );
    return msg.json();
  }

  /**
   * A host GpSession's script transport over `mno.script.forward-requested`, as the SP-TSM drives it: one request
   * carries all the script's APDUs, and the card's answers come back together (fewer when the card stopped the script).
   */
  forwardScripts(iccid: string): ScriptTransport {
    return async (apdus) => {
      const requestId = `fwd-${randomUUID()}`;
      await this.send(ScriptForwardRequested, { requestId, carrier: this.carrier, iccid, apdus: apdus.map((a) => hex(a)) });
      const reply = await this.reply(requestId);
      if (reply.type !== ScriptForwarded.type) throw new Error(`forwarding failed: ${JSON.stringify(reply.payload)}`);
      const p = reply.payload as PayloadOf<typeof ScriptForwarded>;
      if (p.outcome !== 'executed') throw new Error(`card ${p.outcome}`);
      return p.responses.map(fromHex);
    };
  }
}
