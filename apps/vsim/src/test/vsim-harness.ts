import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  CARRIER_PROFILES,
  CARRIERS,
  deadLetterTopicName,
  OtaScriptCompleted,
  physicalTopics,
  OtaScriptRequested,
  SE_TSM,
  SimManufactured,
  SimManufactureRequested,
  Topics,
  topicOf,
  type Carrier,
  type SeAddress,
  type Envelope,
  type MessageDefinition,
  type PayloadOf,
} from '@jpki/contracts';
import { generateServiceKeys, seal, transportPublicKey } from '@jpki/crypto';
import {
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildInstallParameters,
  buildKeySetDgis,
  buildStoreDataCommands,
  CardScript,
  CommandApdu,
  fromHex,
  GpSession,
  JpkiAid,
  Privilege,
  Privileges,
  Scp03KeySet,
  Sw,
  type ScriptPart,
  type ScriptTransport,
} from '@jpki/globalplatform';
import { kafkaClient, ProducerIdentity } from '@jpki/messaging';
import { Handset } from '@jpki/jpki-client';
import { createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { rawProducer, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, type ReceivedMessage } from '@jpki/testing';
import { SecurityDomainPackage, type RsaKeyPair, type RsaKeyPairFactory } from '@jpki/uicc';
import { VsimModule } from '../app.module';
import { loadVsimConfig } from '../config';
import { vsimDefinition } from '../definition';
import type { VsimRuntime } from '../runtime';

export const MNO = (carrier: Carrier) => `mno-tsm-${carrier}`;

/** A small pool of RSA-2048 pairs for on-card generation: generated once per test file, on first use. */
let pool: RsaKeyPair[] | undefined;
export function pooledKeyPairs(): RsaKeyPairFactory {
  let next = 0;
  return () => {
    pool ??= Array.from({ length: 2 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }));
    return pool[next++ % pool.length];
  };
}

let iccidCounter = 0;
/** A fresh ICCID with the carrier's issuer prefix (19 digits). */
export function newIccid(carrier: Carrier): string {
  iccidCounter += 1;
  const unique = `${String(process.pid % 1000).padStart(3, '0')}${String(Date.now() % 10_000_000).padStart(7, '0')}${String(iccidCounter).padStart(3, '0')}`;
  return `${CARRIER_PROFILES[carrier].iccidPrefix}${unique}`;
}

let eseCounter = 0;
/** A fresh eSE SEID: E5 and 18 upper-case hex digits. */
export function newEseSeid(): string {
  eseCounter += 1;
  return `E5${randomBytes(6).toString('hex').toUpperCase()}${eseCounter.toString(16).toUpperCase().padStart(6, '0')}`;
}

export function randomIsdKeys(kvn = 0x30): Scp03KeySet {
  return new Scp03KeySet(kvn, randomBytes(16), randomBytes(16), randomBytes(16));
}

export const ISD_AID = Buffer.from('A000000151000000', 'hex');
export const SSD_AID = Buffer.from('A0000005591010FFFFFFFF8900000100', 'hex');
export const JPKI_AID = JpkiAid.DEFAULT_INSTANCE;

export type Signing = 'own' | 'none' | 'rogue';

/** Creates the OTA topics (with retry and dead-letter companions) under `prefix`; fresh metadata can lag, so retry. */
async function createOtaTopics(prefix: string): Promise<void> {
  const admin = kafkaClient('vsim-test-setup', testKafkaBrokers()).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = physicalTopics(prefix).filter((t) => t.name.startsWith(`${prefix}ota.`) && !existing.has(t.name));
    if (wanted.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: wanted.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })) });
    }
    // A fresh topic's metadata can lag behind its creation: wait until every broker answers for it.
    const names = physicalTopics(prefix).filter((t) => t.name.startsWith(`${prefix}ota.`)).map((t) => t.name);
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.fetchTopicMetadata({ topics: names });
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export interface SendOptions {
  producer?: string;
  signing?: Signing;
  messageId?: string;
  /** Send on this carrier's down topic instead of the payload's. */
  topicCarrier?: Carrier;
}

/**
 * A vSIM app on a fresh schema, with the real broker and database, plus the test's stand-in for each carrier's
 * MNO-TSM and for the SE-management TSM: signed envelopes on the OTA down topics, responses read from the up topics. Its topics live under a
 * sub-prefix of this run's prefix, so no other test's consumers (another vsim among them) see its traffic.
 */
export class VsimHarness {
  readonly sub = `v${randomBytes(3).toString('hex')}.`;
  readonly keys = new StackKeys(['vsim', ...CARRIERS.map(MNO), SE_TSM]);
  readonly rogue = generateServiceKeys();
  readonly schema = testSchema('vsim');
  app!: INestApplication;
  ds!: DataSource;
  watcher!: TopicWatcher;
  producer!: Awaited<ReturnType<typeof rawProducer>>;

  constructor(
    private readonly env: Record<string, string> = {},
    private readonly runtime: VsimRuntime = { keyPairFactory: pooledKeyPairs() },
  ) {}

  static async start(env: Record<string, string> = {}, runtime?: VsimRuntime): Promise<VsimHarness> {
    const harness = new VsimHarness(env, runtime);
    try {
      await createOtaTopics(`${testTopicPrefix()}${harness.sub}`);
      const up = CARRIERS.map((c) => harness.topic(Topics.otaUp[c].name));
      const dlq = CARRIERS.map((c) => harness.topic(deadLetterTopicName(Topics.otaDown[c].name)));
      harness.producer = await rawProducer();
      for (let attempt = 1; ; attempt++) {
        harness.watcher = new TopicWatcher();
        try {
          await harness.watcher.watch(...up, ...dlq, harness.topic(Topics.otaEseUp.name), harness.topic(deadLetterTopicName(Topics.otaEseDown.name)));
          break;
        } catch (error) {
          await harness.watcher.stop().catch(() => undefined);
          if (attempt >= 3) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await harness.startApp();
      return harness;
    } catch (error) {
      await harness.close().catch(() => undefined);
      throw error;
    }
  }

  /** A logical topic name as the watcher and the raw producer see it (this harness's sub-prefix included). */
  topic(name: string): string {
    return `${this.sub}${name}`;
  }

  config() {
    return loadVsimConfig({
      HTTP_PORT: '0',
      DB_SCHEMA: this.schema,
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: `${testTopicPrefix()}${this.sub}`,
      LOG_LEVEL: 'warn',
      OTA_BEARER: CARRIERS.map((c) => `${c}:latency=0,loss=0`).join(';'),
      ...this.keys.envFor('vsim'),
      ...this.env,
    });
  }

  async startApp(): Promise<void> {
    const definition = vsimDefinition(this.config());
    this.app = await createServiceApp({
      definition,
      module: VsimModule.register(definition, this.runtime),
      openApi: { title: 'vsim', description: 'vsim under test' },
    });
    await this.app.listen(0, '127.0.0.1');
    this.ds = this.app.get(DataSource);
  }

  async stopApp(): Promise<void> {
    await this.app?.close();
  }

  async close(): Promise<void> {
    await this.watcher?.stop();
    await this.producer?.disconnect();
    await this.stopApp();
  }

  get http() {
    return request(this.app.getHttpServer());
  }

  token(roles: OperatorRole[], sub = 'tester'): string {
    return `Bearer ${this.keys.operatorToken(sub, roles)}`;
  }

  envelope<D extends MessageDefinition>(def: D, payload: PayloadOf<D>, opts: SendOptions = {}): Envelope<PayloadOf<D>> {
    const carrier = (payload as { carrier?: Carrier }).carrier;
    const producer = opts.producer ?? (carrier ? MNO(carrier) : SE_TSM);
    const envelope: Envelope<PayloadOf<D>> = {
      messageId: opts.messageId ?? randomUUID(),
      type: def.type,
      schemaVersion: def.schemaVersion,
      correlationId: randomUUID(),
      causationId: null,
      occurredAt: new Date().toISOString(),
      producer,
      payload,
    };
    const signing = opts.signing ?? 'own';
    if (signing !== 'none') {
      const key = signing === 'rogue' ? this.rogue.signingPkcs8 : this.keys.keys.get(producer)?.signingPkcs8;
      if (!key) throw new Error(`no signing key for ${producer}`);
      envelope.signature = ProducerIdentity.fromBase64Pkcs8(producer, key).sign(envelope);
    }
    return envelope;
  }

  async send<D extends MessageDefinition>(def: D, payload: PayloadOf<D>, opts: SendOptions = {}): Promise<Envelope<PayloadOf<D>>> {
    const envelope = this.envelope(def, payload, opts);
    await this.sendEnvelope(envelope, opts.topicCarrier ? Topics.otaDown[opts.topicCarrier].name : topicOf(def, payload).name, def.key(payload));
    return envelope;
  }

  async sendEnvelope(envelope: Envelope, topic: string, key: string): Promise<void> {
    await this.producer.sendTo(this.topic(topic), [
      { key, value: JSON.stringify(envelope), headers: { 'message-id': envelope.messageId, 'message-type': envelope.type } },
    ]);
  }

  /** The message published in response to the request with this message id (its causation id). */
  async reply(requestMessageId: string, timeoutMs = 15_000): Promise<Envelope> {
    const found = await this.watcher.waitFor(
      (m) => m.value !== null && m.value.includes(requestMessageId) && m.json<Envelope>().causationId === requestMessageId,
      timeoutMs,
      `reply to ${requestMessageId}`,
    );
    return found.json<Envelope>();
  }

  repliesTo(requestMessageId: string): Envelope[] {
    return this.watcher.messages
      .filter((m) => m.value?.includes(requestMessageId) && !m.topic.endsWith('.dlq'))
      .map((m) => m.json<Envelope>())
      .filter((e) => e.causationId === requestMessageId);
  }

  async deadLetter(messageId: string, timeoutMs = 15_000): Promise<ReceivedMessage> {
    return this.watcher.waitFor((m) => m.topic.endsWith('.dlq') && m.headers['message-id'] === messageId, timeoutMs, `dead letter ${messageId}`);
  }

  async manufacture(carrier: Carrier, iccid: string, isdKeys: Scp03KeySet, quota = 64 * 1024): Promise<PayloadOf<typeof SimManufactured>> {
    const request = await this.send(SimManufactureRequested, this.manufactureRequest(carrier, iccid, isdKeys, quota));
    const reply = await this.reply(request.messageId);
    expect(reply.type).toBe(SimManufactured.type);
    return reply.payload as PayloadOf<typeof SimManufactured>;
  }

  manufactureRequest(carrier: Carrier, iccid: string, isdKeys: Scp03KeySet, quota = 64 * 1024): PayloadOf<typeof SimManufactureRequested> {
    const generation = Object.keys(CARRIER_PROFILES[carrier].simGenerations)[0];
    return { carrier, iccid, generation, memoryQuotaBytes: quota, isdKeyset: this.sealedIsdKeyset(iccid, isdKeys) };
  }

  /** What the SE-management TSM sends to have an eSE made: the handset model stands where a SIM has its generation. */
  eseManufactureRequest(seid: string, isdKeys: Scp03KeySet, model = 'pixel-ese-1', quota = 64 * 1024): PayloadOf<typeof SimManufactureRequested> {
    return { seid, generation: model, memoryQuotaBytes: quota, isdKeyset: this.sealedIsdKeyset(seid, isdKeys) };
  }

  /** The ISD keyset as a TSM seals it to vsim, bound to the card's SEID. */
  sealedIsdKeyset(seid: string, isdKeys: Scp03KeySet): PayloadOf<typeof SimManufactureRequested>['isdKeyset'] {
    const json = JSON.stringify({ kvn: isdKeys.kvn, enc: isdKeys.enc.toString('hex'), mac: isdKeys.mac.toString('hex'), dek: isdKeys.dek.toString('hex') });
    const vsimKey = transportPublicKey(this.keys.keys.get('vsim')!.transportSpki);
    return seal('vsim', vsimKey, Buffer.from(json), `isd-keyset/${seid}`);
  }

  /** One OTA round trip to a carrier's SIM: sends the script and waits for its completion. */
  script(
    carrier: Carrier,
    iccid: string,
    apdus: readonly (Buffer | CommandApdu)[],
    opts: SendOptions & { scriptId?: string } = {},
  ): Promise<PayloadOf<typeof OtaScriptCompleted> & { messageId: string }> {
    return this.scriptTo({ carrier, iccid }, apdus, opts);
  }

  /** One OTA round trip to a SIM (`{carrier, iccid}`) or an eSE (`{seid}`, over `ota.ese.down`). */
  async scriptTo(
    address: SeAddress,
    apdus: readonly (Buffer | CommandApdu)[],
    opts: SendOptions & { scriptId?: string } = {},
  ): Promise<PayloadOf<typeof OtaScriptCompleted> & { messageId: string }> {
    const request = await this.send(
      OtaScriptRequested,
      {
        scriptId: opts.scriptId ?? `script-${randomUUID()}`,
        ...address,
        apdus: apdus.map((a) => (a instanceof CommandApdu ? a.toBytes() : a).toString('hex').toUpperCase()),
      },
      opts,
    );
    const reply = await this.reply(request.messageId);
    expect(reply.type).toBe(OtaScriptCompleted.type);
    return { ...(reply.payload as PayloadOf<typeof OtaScriptCompleted>), messageId: request.messageId };
  }

  /** A host GpSession's transport to a SIM (`{carrier, iccid}`) or an eSE (`{seid}`): the commands as one OTA script, executed by the card. */
  otaScripts(address: SeAddress): ScriptTransport {
    return async (apdus) => {
      const done = await this.scriptTo(address, apdus);
      expect(done.outcome).toBe('executed');
      return done.responses.map((r) => fromHex(r));
    };
  }

  /** Puts the SIM in a new phone (integrator call) and returns that phone, which signs its handset-channel calls. */
  async insertSim(iccid: string): Promise<PhoneUnderTest> {
    const handset = Handset.create(iccid);
    await this.http
      .put(`/sims/${iccid}/handset-binding`)
      .set('authorization', this.token(['integrator']))
      .send({ imei: handset.imei, devicePublicKey: handset.devicePublicKey })
      .expect(200);
    return new PhoneUnderTest(this, handset);
  }

  async sealedImage(iccid: string): Promise<{ image: string; revision: number }> {
    const rows: { image: string; revision: number }[] = await this.ds.query(`SELECT image, revision FROM sim WHERE seid = $1`, [iccid]);
    return rows[0];
  }
}

/**
 * A phone's handset-channel calls through supertest, signed with its device key in one OMAPI session (`inSession`
 * gives the same phone's other sessions; the `iccid` arguments aim a call at another SIM).
 */
export class PhoneUnderTest {
  readonly session: string;

  constructor(
    private readonly h: VsimHarness,
    readonly handset: Handset,
    session?: string,
  ) {
    this.session = session ?? `s-${randomBytes(6).toString('hex')}`;
  }

  inSession(session: string): PhoneUnderTest {
    return new PhoneUnderTest(this.h, this.handset, session);
  }

  open(aid: string, iccid = this.handset.iccid) {
    return this.call('post', `/sims/${iccid}/channels`, { aid });
  }

  transmit(channel: number | string, apdu: string, iccid = this.handset.iccid) {
    return this.call('post', `/sims/${iccid}/channels/${channel}/transmit`, { apdu });
  }

  close(channel: number | string, iccid = this.handset.iccid) {
    return this.call('delete', `/sims/${iccid}/channels/${channel}`);
  }

  private call(method: 'post' | 'delete', path: string, body?: object) {
    const json = body === undefined ? '' : JSON.stringify(body);
    const request = this.h.http[method](path).set('x-handset-signature', this.handset.signRequest(this.session, method, path, json));
    return body === undefined ? request : request.set('content-type', 'application/json').send(json);
  }
}

export const swOf = (responseHex: string): string => responseHex.slice(-4).toUpperCase();

/**
 * The TSM side of SCP03 over OTA, to a SIM (`{carrier, iccid}`, the MNO-TSM) or an eSE (`{seid}` over `ota.ese.down`,
 * the SE-management TSM): the host's GpSession learns the keyset's sequence counter (one INITIALIZE UPDATE),
 * then SELECT of the security domain and one secure session with `commands` travel as one script.
 */
export async function inSessionOverOta(
  h: VsimHarness,
  address: SeAddress,
  sdAid: Buffer,
  keys: Scp03KeySet,
  commands: readonly CommandApdu[],
  securityLevel = 0x13,
): Promise<ScriptPart> {
  const { selected, part } = await new GpSession(h.otaScripts(address), sdAid, keys, { securityLevel }).run((script, session) => ({
    selected: script.select(sdAid),
    part: session(sdAid, commands),
  }));
  expect(selected.sws).toEqual([Sw.OK]); // 9000 exactly: SELECT lets the warning 6283 pass
  return part;
}

/**
 * A secure session with the security domain planned on the keyset's next counter (learnt by one INITIALIZE UPDATE over
 * OTA), for tests that send its APDUs themselves, over several OTA scripts: SELECT, INITIALIZE UPDATE, EXTERNAL
 * AUTHENTICATE, then one wrapped APDU per command. `check` hands the host the card's answers to all of them; `part`
 * holds what it accepted.
 */
export async function plannedSessionOverOta(
  h: VsimHarness,
  address: SeAddress,
  sdAid: Buffer,
  keys: Scp03KeySet,
  commands: readonly CommandApdu[],
  securityLevel = 0x13,
): Promise<{ apdus: Buffer[]; part: ScriptPart; check(responses: Buffer[]): Promise<void> }> {
  const learn = new CardScript();
  learn.select(sdAid);
  const learnt = learn.initializeUpdate(sdAid, keys);
  await learn.run(h.otaScripts(address));
  const script = new CardScript();
  script.select(sdAid);
  const part = script.session(sdAid, { keys, securityLevel, sequenceCounter: (learnt.sequenceCounter ?? 0) + 1 }, commands);
  return { apdus: script.apdus, part, check: (responses) => script.run(async () => responses) };
}

/** The MNO-TSM's part of SSD creation: INSTALL the SSD, then its temporary keyset (DGIs under the ISD's DEK). */
export function createSsdCommands(isdKeys: Scp03KeySet, tempKeys: Scp03KeySet, ssdAid = SSD_AID): CommandApdu[] {
  return [
    buildInstallForInstall({
      loadFileAid: SecurityDomainPackage.LOAD_FILE,
      moduleAid: SecurityDomainPackage.MODULE,
      applicationAid: ssdAid,
      privileges: Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement),
      installParameters: buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x70 } }),
    }),
    buildInstallForPersonalization(ssdAid),
    ...buildStoreDataCommands(buildKeySetDgis(tempKeys, isdKeys.dek), { structure: 'dgi', encryption: 'application-dependent' }),
  ];
}

export function installJpkiCommand(instanceAid = JPKI_AID): CommandApdu {
  return buildInstallForInstall({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: instanceAid, privileges: Privileges.of() });
}
