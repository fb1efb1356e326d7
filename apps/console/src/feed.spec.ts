import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EnrollmentCompleted, LifecycleCaseChanged, type Envelope } from '@jpki/contracts';
import { ProducerIdentity } from '@jpki/messaging';
import { EventFeed } from './feed';

const keys = (name: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { identity: new ProducerIdentity(name, privateKey), spki: `${name}=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}` };
};

describe('console event feed: envelopes checked like an inbox does, events tied to a carrier', () => {
  const spTsm = keys('sp-tsm');
  const lifecycle = keys('lifecycle');
  const feed = new EventFeed({ KAFKA_BROKERS: ['127.0.0.1:1'], KAFKA_TOPIC_PREFIX: '', TRUSTED_PRODUCER_KEYS: `${spTsm.spki},${lifecycle.spki}` });
  const envelope = (by: ProducerIdentity, type: string, payload: unknown, producer = by.name): string => {
    const unsigned: Omit<Envelope, 'signature'> = { messageId: randomUUID(), type, schemaVersion: 1, correlationId: 'c', causationId: null, occurredAt: '2026-12-03T17:20:00.000Z', producer, payload };
    return JSON.stringify({ ...unsigned, signature: by.sign(unsigned) });
  };
  const personId = randomUUID();
  const enrolled = { enrollmentId: 'enr-1', personId, serial: 'AB01', carrier: 'docomo', msisdn: '+819012345678', iccid: '8981100000000000010', ssdAid: 'A000000151535344', keyMode: 'on-card' };
  const lossCase = { caseId: 'case-1', kind: 'loss', status: 'open', step: null, personId, serial: 'AB01', iccid: '8981100000000000010', at: '2026-12-03T17:21:00.000Z' };

  it('shows signed events, ties a case to the carrier of the enrollment it names, and scopes them', () => {
    expect(feed.accept('sptsm.events', envelope(spTsm.identity, EnrollmentCompleted.type, enrolled))).toMatchObject({ carrier: 'docomo', fields: { serial: 'AB01' } });
    const loss = feed.accept('lifecycle.events', envelope(lifecycle.identity, LifecycleCaseChanged.type, lossCase));
    expect(loss).toMatchObject({ carrier: 'docomo', fields: { caseId: 'case-1', kind: 'loss' } });
    expect(EventFeed.visible(loss!, 'docomo')).toBe(true);
    expect(EventFeed.visible(loss!, null)).toBe(true);
    expect(EventFeed.visible(loss!, 'kddi')).toBe(false);
    // A case naming nothing the feed knows belongs to no carrier: platform staff only.
    const unknown = feed.accept('lifecycle.events', envelope(lifecycle.identity, LifecycleCaseChanged.type, { ...lossCase, caseId: 'case-2', personId: randomUUID(), serial: 'CD02', iccid: '8981100000000000028' }));
    expect(unknown?.carrier).toBeNull();
    expect(EventFeed.visible(unknown!, 'docomo')).toBe(false);
    expect(feed.figures('docomo').enrollmentsPerHour).toEqual([{ hour: '2026-12-03T17:00Z', carrier: 'docomo', count: 1 }]);
    expect(feed.figures('kddi').enrollmentsPerHour).toEqual([]);
    expect(feed.backlog('kddi')).toEqual([]);
  });

  it('refuses what an inbox refuses: a forged signature, a producer not routed for the type, a wrong topic, garbage', () => {
    const refused = feed.refused;
    const forger = keys('sp-tsm');
    expect(feed.accept('sptsm.events', envelope(forger.identity, EnrollmentCompleted.type, enrolled))).toBeUndefined();
    expect(feed.accept('sptsm.events', envelope(lifecycle.identity, EnrollmentCompleted.type, enrolled))).toBeUndefined();
    expect(feed.accept('ca.events', envelope(spTsm.identity, EnrollmentCompleted.type, enrolled))).toBeUndefined();
    expect(feed.accept('sptsm.events', envelope(spTsm.identity, EnrollmentCompleted.type, { ...enrolled, carrier: 'au' }))).toBeUndefined();
    expect(feed.accept('sptsm.events', '{ not json')).toBeUndefined();
    expect(feed.refused - refused).toBe(5);
    expect(feed.figures(null).enrollmentsPerHour.reduce((n, x) => n + x.count, 0)).toBe(1);
  });
});
