import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { EachMessagePayload } from 'kafkajs';
import {
  Headers,
  IdentityProofingCompleted,
  ServiceSuspendRequested,
  SsdCreated,
  Topics,
  type Envelope,
  type MessageDefinition,
  type PayloadInput,
} from '@jpki/contracts';
import type { ConsumerStatus } from './consumer-status';
import type { KafkaConnection } from './kafka-connection';
import { KafkaInboxServer } from './kafka-inbox-server';
import { subscriptionsOf, type MessagingOptions } from './messaging-options';
import type { Outbox } from './outbox';
import { ProducerIdentity, TrustedProducers } from './producer-identity';

const names = ['jpki-ca', 'lifecycle', 'mno-tsm-docomo', 'mno-tsm-kddi'] as const;
const keys = Object.fromEntries(
  names.map((n) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return [n, { pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }];
  }),
) as Record<(typeof names)[number], { pkcs8: string; spki: string }>;

function signed<D extends MessageDefinition>(def: D, input: PayloadInput<D>, producer: (typeof names)[number] | 'unsigned'): string {
  const e: Envelope = {
    messageId: randomUUID(),
    type: def.type,
    schemaVersion: def.schemaVersion,
    correlationId: 'corr',
    causationId: null,
    occurredAt: new Date().toISOString(),
    producer: producer === 'unsigned' ? 'jpki-ca' : producer,
    payload: input,
  };
  return JSON.stringify(producer === 'unsigned' ? e : { ...e, signature: ProducerIdentity.fromBase64Pkcs8(producer, keys[producer].pkcs8).sign(e) });
}

/**
 * The inbox's decode path with the real routing declaration and real signatures; Kafka's producer and the database
 * are stand-ins (the attack tests in apps/e2e run the same checks against the real broker).
 */
describe('inbox: every message checked against the routes declared for its type', () => {
  const sent: { topic: string; headers: Record<string, string> }[] = [];
  const handled: string[] = [];
  let server: KafkaInboxServer;

  beforeEach(() => {
    sent.length = 0;
    handled.length = 0;
    const options = {
      serviceName: 'sp-tsm',
      topicPrefix: 't.',
      consumerGroup: 't.sp-tsm',
      subscriptions: subscriptionsOf('sp-tsm'),
      trustedProducers: TrustedProducers.parse(names.map((n) => `${n}=${keys[n].spki}`).join(',')),
    } as unknown as MessagingOptions;
    const kafka = {
      options,
      physical: (name: string) => `t.${name}`,
      producer: { send: async (r: { topic: string; messages: { headers: Record<string, string> }[] }) => void sent.push({ topic: r.topic, headers: r.messages[0].headers }) },
    } as unknown as KafkaConnection;
    const dataSource = { transaction: async (work: (m: unknown) => Promise<unknown>) => work({ query: async () => [1] }) };
    server = new KafkaInboxServer({ kafka, dataSource: dataSource as never, outbox: {} as Outbox, status: { set: () => undefined } as unknown as ConsumerStatus });
    for (const def of [IdentityProofingCompleted, SsdCreated, ServiceSuspendRequested]) {
      server.addHandler(def.type, async () => void handled.push(def.type), true);
    }
  });

  const deliver = (topic: string, value: string) =>
    (server as unknown as { onMessage(p: EachMessagePayload): Promise<void> }).onMessage({
      topic: `t.${topic}`,
      partition: 0,
      message: { key: null, value: Buffer.from(value), headers: {}, offset: '0', timestamp: '0', attributes: 0 },
      heartbeat: async () => undefined,
      pause: () => () => undefined,
    } as EachMessagePayload);
  const deadLetter = () => {
    expect(sent).toHaveLength(1);
    return { topic: sent[0].topic, reason: sent[0].headers[Headers.failureReason], detail: sent[0].headers[Headers.failureDetail] };
  };

  const proofed = { requestId: 'prf-123456', verified: true };
  const ssd = (carrier: 'docomo' | 'kddi') => ({
    requestId: 'req-123456',
    carrier,
    iccid: '8981100000000000001',
    ssdAid: 'A0000005591010FFFFFFFF8900000100',
    kvn: 0x30,
    temporaryKeyset: { alg: 'ECDH-ES+A256GCM' as const, recipient: 'sp-tsm', epk: 'AA==', iv: 'AA==', ciphertext: 'AA==', tag: 'AA==' },
  });

  it('handles a message of a routed type, from its declared producer, on its topic', async () => {
    await deliver(Topics.caEvents.name, signed(IdentityProofingCompleted, proofed, 'jpki-ca'));
    await deliver(Topics.mnoEvents.docomo.name, signed(SsdCreated, ssd('docomo'), 'mno-tsm-docomo'));
    expect(handled).toEqual([IdentityProofingCompleted.type, SsdCreated.type]);
    expect(sent).toEqual([]);
  });

  it('dead-letters a proofing reply an MNO-TSM forged on its events topic (TOPIC_NOT_ALLOWED)', async () => {
    await deliver(Topics.mnoEvents.docomo.name, signed(IdentityProofingCompleted, proofed, 'mno-tsm-docomo'));
    expect(deadLetter()).toEqual({
      topic: 't.mno.docomo.events.dlq',
      reason: 'TOPIC_NOT_ALLOWED',
      detail: 'ca.identity-proofing.completed does not travel on mno.docomo.events (declared: ca.events)',
    });
    expect(handled).toEqual([]);
  });

  it('dead-letters a genuine command replayed onto another topic (TOPIC_NOT_ALLOWED)', async () => {
    await deliver(Topics.caEvents.name, signed(ServiceSuspendRequested, { requestId: 'susp-123456', iccid: '8981100000000000001', reason: 'LOSS' }, 'lifecycle'));
    expect(deadLetter()).toMatchObject({ topic: 't.ca.events.dlq', reason: 'TOPIC_NOT_ALLOWED' });
    expect(handled).toEqual([]);
  });

  it('dead-letters another carrier’s MNO-TSM (PRODUCER_NOT_AUTHORIZED) and a payload for another carrier (CARRIER_MISMATCH)', async () => {
    await deliver(Topics.mnoEvents.docomo.name, signed(SsdCreated, ssd('docomo'), 'mno-tsm-kddi'));
    expect(deadLetter()).toMatchObject({ reason: 'PRODUCER_NOT_AUTHORIZED', detail: expect.stringContaining('mno-tsm-kddi may not send mno.ssd.created on mno.docomo.events') });
    sent.length = 0;
    await deliver(Topics.mnoEvents.docomo.name, signed(SsdCreated, ssd('kddi'), 'mno-tsm-docomo'));
    expect(deadLetter()).toEqual({
      topic: 't.mno.docomo.events.dlq',
      reason: 'CARRIER_MISMATCH',
      detail: 'mno.ssd.created for kddi travels on mno.kddi.events, not mno.docomo.events',
    });
    expect(handled).toEqual([]);
  });

  it('dead-letters an unsigned message (PRODUCER_SIGNATURE_INVALID)', async () => {
    await deliver(Topics.caEvents.name, signed(IdentityProofingCompleted, proofed, 'unsigned'));
    expect(deadLetter()).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
    expect(handled).toEqual([]);
  });
});
