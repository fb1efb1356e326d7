import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  deadLetterTopicName,
  Headers,
  ScriptForwarded,
  ScriptForwardRequested,
  SsdCreationRequested,
  Topics,
  topicOf,
  type MessageDefinition,
  type PayloadInput,
  type PayloadOf,
  type SeAddress,
} from '@jpki/contracts';
import { open, transportPrivateKey, type SealedBox } from '@jpki/crypto';
import { fromHex, GpSession, hex, Scp03KeySet, type CommandApdu, type ScriptPart, type ScriptTransport } from '@jpki/globalplatform';
import { ensureTopics, kafkaClient, ProducerIdentity } from '@jpki/messaging';
import { rawProducer, TopicWatcher, type ReceivedMessage } from './kafka-probe';
import { StackKeys } from './service-stack';
import { addressOn, TestCardResponder, type TsmRoute } from './test-card-responder';
import { testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix } from './test-run';

/** This instance's topics under its own sub-prefix; a fresh topic's metadata can lag, so retry briefly. */
async function createTopics(prefix: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafkaClient('tsm-test-setup', testKafkaBrokers()), prefix);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/** Who a test command is sent as: the SP-TSM, another service, nobody (unsigned), or an SP-TSM with a key nobody trusts. */
export type Sender = 'sp-tsm' | 'lifecycle' | 'unsigned' | 'forged-sp-tsm';

/**
 * One TSM app (an MNO-TSM, the SE-management TSM) under test, in process on the real broker and database, with its
 * own topic sub-prefix (inside this run's prefix, so no other test's consumers see its traffic) and a
 * `TestCardResponder` playing the vsim on the far side of its OTA route. The test plays the SP-TSM: `send` signs
 * commands, `reply` waits for the TSM's answer, `forwardScripts` drives a host GpSession through script forwarding.
 */
export abstract class TsmUnderTest {
  app!: INestApplication;
  ds!: DataSource;
  responder!: TestCardResponder;
  watcher!: TopicWatcher;
  readonly keys: StackKeys;
  readonly sub = `m${randomBytes(3).toString('hex')}.`;
  private producer!: Awaited<ReturnType<typeof rawProducer>>;
  private readonly outsider = new StackKeys(['sp-tsm']);

  constructor(
    /** The app's service identity. */
    readonly name: string,
    readonly route: TsmRoute,
  ) {
    this.keys = new StackKeys([name, 'sp-tsm', 'vsim', 'lifecycle']);
  }

  /**
   * Creates the app (service-kit's `createServiceApp`, not listening yet) from `env` — the harness's database, broker,
   * topics and keys — with its own settings added.
   */
  protected abstract create(env: Record<string, string>): Promise<INestApplication>;

  get events(): string {
    return `${this.sub}${(this.route === 'ese' ? Topics.seEvents : Topics.mnoEvents[this.route]).name}`;
  }
  get commandsDlq(): string {
    return `${this.sub}${deadLetterTopicName((this.route === 'ese' ? Topics.seCommands : Topics.mnoCommands[this.route]).name)}`;
  }
  get otaDown(): string {
    return `${this.sub}${(this.route === 'ese' ? Topics.otaEseDown : Topics.otaDown[this.route]).name}`;
  }

  /** How the route's messages name the card `seid`. */
  address(seid: string): SeAddress {
    return addressOn(this.route, seid);
  }

  async start(): Promise<this> {
    await createTopics(`${testTopicPrefix()}${this.sub}`);
    const env = {
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema(this.name.replace(/-/g, '_')),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: `${testTopicPrefix()}${this.sub}`,
      LOG_LEVEL: 'warn',
      OTA_RESPONSE_TIMEOUT_MS: '1500',
      ...this.keys.envFor(this.name),
    };
    this.watcher = await new TopicWatcher().watch(this.events, this.commandsDlq, this.otaDown);
    this.producer = await rawProducer();
    this.responder = await new TestCardResponder(this.route, this.sub, this.keys.of('vsim'), { identity: this.name, keys: this.keys.of(this.name) }).start();
    this.app = await this.create(env);
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

  /** Sends a command on the TSM's command topic (or `topicOverride`) as the given producer. */
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

  /** The TSM's reply for a requestId on its events topic (optionally of one type / matching a predicate). */
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
  forwardScripts(seid: string): ScriptTransport {
    return async (apdus) => {
      const requestId = `fwd-${randomUUID()}`;
      await this.send(ScriptForwardRequested, { requestId, ...this.address(seid), apdus: apdus.map((a) => hex(a)) });
      const reply = await this.reply(requestId);
      if (reply.type !== ScriptForwarded.type) throw new Error(`forwarding failed: ${JSON.stringify(reply.payload)}`);
      const p = reply.payload as PayloadOf<typeof ScriptForwarded>;
      if (p.outcome !== 'executed') throw new Error(`card ${p.outcome}`);
      return p.responses.map(fromHex);
    };
  }

  /** Asks, as the SP-TSM, for the SSD `ssdAid` on the card with its temporary keyset sealed to the SP-TSM; the TSM's reply. */
  async createSsd(seid: string, ssdAid: string, requestId = `ssd-${randomUUID()}`): Promise<{ requestId: string; reply: { type: string; payload: Record<string, unknown> } }> {
    await this.send(SsdCreationRequested, { requestId, ...this.address(seid), ssdAid, keysetRecipient: 'sp-tsm' });
    return { requestId, reply: await this.reply(requestId, undefined, undefined, 60_000) };
  }

  /** A temporary keyset handed over to the SP-TSM, opened as the SP-TSM. */
  openKeyset(seid: string, ssdAid: string, box: SealedBox): Scp03KeySet {
    const json = JSON.parse(open(box, 'sp-tsm', transportPrivateKey(this.keys.of('sp-tsm').transportPkcs8), `ssd-keyset/${seid}/${ssdAid}`).toString('utf8'));
    return new Scp03KeySet(json.kvn, fromHex(json.enc), fromHex(json.mac), fromHex(json.dek));
  }

  /** One script as the SP-TSM drives its SSD through script forwarding: SELECT the SSD, then an SCP03 session with `keys` carrying `commands`. */
  inSsd(seid: string, ssdAid: string, keys: Scp03KeySet, securityLevel: number, commands: CommandApdu[], sMode: 8 | 16 = 8): Promise<ScriptPart> {
    const aid = fromHex(ssdAid);
    return new GpSession(this.forwardScripts(seid), aid, keys, { securityLevel, sMode }).run((script, session) => {
      script.select(aid);
      return session(aid, commands);
    });
  }
}
