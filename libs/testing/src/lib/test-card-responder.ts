import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import {
  envelopeSchema,
  Headers,
  messageDefinition,
  OtaScriptCompleted,
  OtaScriptRequested,
  seidOf,
  SimManufactured,
  SimManufactureRequested,
  SimReachable,
  Topics,
  topicOf,
  type Carrier,
  type Envelope,
  type MessageDefinition,
  type PayloadOf,
  type SeAddress,
} from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import { hex, ResponseApdu, Scp03KeySet } from '@jpki/globalplatform';
import { kafkaClient, ProducerIdentity, TrustedProducers } from '@jpki/messaging';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test double of the vsim service: the card behind the OTA bearer
import { VirtualUicc } from '@jpki/uicc';
import { testKafkaBrokers, testTopicPrefix } from './test-run';

type Keys = { signingPkcs8: string; signingSpki: string; transportPkcs8: string; transportSpki: string };

/** The OTA path a TSM under test drives: a carrier's (`ota.<carrier>.*`, SIMs) or the handsets' push channel (`ota.ese.*`, eSEs). */
export type TsmRoute = Carrier | 'ese';

/** How messages on the route name a card: `{carrier, iccid}` for a carrier's SIM, `{seid}` for an eSE. */
export const addressOn = (route: TsmRoute, seid: string): SeAddress => (route === 'ese' ? { seid } : { carrier: route, iccid: seid });

/**
 * A card for the SEID: a virtual UICC with the ICCID, or for an eSE one that reports the SEID as its KDD (the card
 * manager is the same; its ICCID field, a placeholder derived from the SEID, is read by no TSM operation).
 */
function manufacture(seid: string, isdKeyset: Scp03KeySet, memoryQuotaBytes: number): VirtualUicc {
  if (!seid.startsWith('E5')) return VirtualUicc.manufacture({ iccid: seid, isdKeyset, memoryQuotaBytes });
  const placeholderIccid = `89${(BigInt(`0x${seid}`) % 10n ** 17n).toString().padStart(17, '0')}`;
  return VirtualUicc.manufacture({ iccid: placeholderIccid, kdd: Buffer.from(seid, 'hex'), isdKeyset, memoryQuotaBytes });
}

/**
 * TEST DOUBLE of the vsim service for the TSM integration tests: consumes the route's down topic (only envelopes
 * signed by the TSM under test), manufactures cards from the sealed ISD keyset, runs scripts like the vsim does (stop
 * after the first error SW, 61xx/62xx/63xx go on), executes a scriptId at most once and replays its stored result,
 * and answers on the route's up topic signed as `vsim`. Knobs let tests switch handsets off and lose responses.
 */
export class TestCardResponder {
  /** The cards by SEID (a SIM's is its ICCID). */
  readonly cards = new Map<string, VirtualUicc>();
  readonly unreachable = new Set<string>();
  /** scriptIds whose first response is "lost" on the uplink (the result is still stored). */
  readonly loseFirstResponse = new Set<string | ((scriptId: string) => boolean)>();
  /** scriptIds whose every response is lost (the script still runs once). */
  readonly loseEveryResponse = new Set<(scriptId: string) => boolean>();
  readonly received: { scriptId: string; apdus: string[] }[] = [];
  private readonly results = new Map<string, string[]>();
  private readonly lost = new Set<string>();
  private readonly kafka = kafkaClient('test-card-responder', testKafkaBrokers());
  private readonly consumer: Consumer = this.kafka.consumer({ groupId: `test-vsim-${randomUUID()}` });
  private readonly producer: Producer = this.kafka.producer({ allowAutoTopicCreation: false });
  private readonly identity: ProducerIdentity;
  private readonly trusted: TrustedProducers;
  private readonly down: string;

  constructor(
    private readonly route: TsmRoute,
    /** Sub-prefix inside this run's topic prefix (the app under test uses `testTopicPrefix() + sub`). */
    private readonly sub: string,
    private readonly vsimKeys: Keys,
    tsm: { identity: string; keys: Keys },
  ) {
    this.identity = ProducerIdentity.fromBase64Pkcs8('vsim', vsimKeys.signingPkcs8);
    this.trusted = TrustedProducers.parse(`${tsm.identity}=${tsm.keys.signingSpki}`);
    this.down = route === 'ese' ? Topics.otaEseDown.name : Topics.otaDown[route].name;
  }

  async start(): Promise<this> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.physical(this.down)], fromBeginning: true });
    await this.consumer.run({ eachMessage: async ({ message }) => this.onMessage(message.value?.toString('utf8') ?? '') });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  /** The handset attached again (`ota.sim.reachable`). */
  async reachable(seid: string): Promise<void> {
    this.unreachable.delete(seid);
    await this.publish(SimReachable, { ...addressOn(this.route, seid), at: new Date().toISOString() }, randomUUID(), null);
  }

  private physical(name: string): string {
    return `${testTopicPrefix()}${this.sub}${name}`;
  }

  private async onMessage(value: string): Promise<void> {
    const envelope = envelopeSchema.parse(JSON.parse(value)) as Envelope;
    const definition = messageDefinition(envelope.type);
    if (!definition || !this.trusted.check(envelope, definition, this.down).ok) return;
    if (envelope.type === SimManufactureRequested.type) return this.manufacture(envelope as Envelope<PayloadOf<typeof SimManufactureRequested>>);
    if (envelope.type === OtaScriptRequested.type) return this.script(envelope as Envelope<PayloadOf<typeof OtaScriptRequested>>);
  }

  private async manufacture(e: Envelope<PayloadOf<typeof SimManufactureRequested>>): Promise<void> {
    const p = e.payload;
    const seid = seidOf(p);
    if (!this.cards.has(seid)) {
      const json = JSON.parse(open(p.isdKeyset, 'vsim', transportPrivateKey(this.vsimKeys.transportPkcs8), `isd-keyset/${seid}`).toString('utf8'));
      const isdKeyset = new Scp03KeySet(json.kvn, Buffer.from(json.enc, 'hex'), Buffer.from(json.mac, 'hex'), Buffer.from(json.dek, 'hex'));
      this.cards.set(seid, manufacture(seid, isdKeyset, p.memoryQuotaBytes));
    }
    await this.publish(SimManufactured, { ...addressOn(this.route, seid), isdAid: 'A000000151000000' }, e.correlationId, e.messageId);
  }

  private async script(e: Envelope<PayloadOf<typeof OtaScriptRequested>>): Promise<void> {
    const p = e.payload;
    const seid = seidOf(p);
    this.received.push({ scriptId: p.scriptId, apdus: p.apdus });
    const reply = (outcome: PayloadOf<typeof OtaScriptCompleted>['outcome'], responses: string[]) =>
      this.publish(OtaScriptCompleted, { scriptId: p.scriptId, ...addressOn(this.route, seid), outcome, responses }, e.correlationId, e.messageId);
    const card = this.cards.get(seid);
    if (!card) return reply('unknown-sim', []);
    if (this.unreachable.has(seid)) return reply('unreachable', []);
    let responses = this.results.get(p.scriptId);
    if (!responses) {
      responses = [];
      for (const apdu of p.apdus) {
        const response = card.transmit(Buffer.from(apdu, 'hex'));
        responses.push(hex(response));
        const sw = ResponseApdu.parse(response).sw;
        if (!(sw === 0x9000 || [0x61, 0x62, 0x63].includes(sw >> 8))) break;
      }
      this.results.set(p.scriptId, responses);
    }
    if ([...this.loseEveryResponse].some((l) => l(p.scriptId))) return;
    const lose = [...this.loseFirstResponse].some((l) => (typeof l === 'string' ? l === p.scriptId : l(p.scriptId)));
    if (lose && !this.lost.has(p.scriptId)) {
      this.lost.add(p.scriptId);
      return;
    }
    await reply('executed', responses);
  }

  private async publish<D extends MessageDefinition>(def: D, payload: PayloadOf<D>, correlationId: string, causationId: string | null): Promise<void> {
    const unsigned = {
      messageId: randomUUID(),
      type: def.type,
      schemaVersion: def.schemaVersion,
      correlationId,
      causationId,
      occurredAt: new Date().toISOString(),
      producer: 'vsim',
      payload,
    };
    const envelope = { ...unsigned, signature: this.identity.sign(unsigned) };
    await this.producer.send({
      topic: this.physical(topicOf(def, payload).name),
      acks: -1,
      messages: [
        {
          key: def.key(payload),
          value: JSON.stringify(envelope),
          headers: { [Headers.messageId]: envelope.messageId, [Headers.messageType]: def.type, [Headers.correlationId]: correlationId, [Headers.producer]: 'vsim' },
        },
      ],
    });
  }
}
