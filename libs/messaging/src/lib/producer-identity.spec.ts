import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  ContractEnded,
  IdentityProofingCompleted,
  RevocationRequested,
  SimulationClockSet,
  SsdCreationRequested,
  Topics,
  type Envelope,
  type MessageDefinition,
  type PayloadOf,
} from '@jpki/contracts';
import { checkCarrier, ProducerIdentity, TrustedProducers } from './producer-identity';

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

const ssd: PayloadOf<typeof SsdCreationRequested> = {
  requestId: 'req-123456',
  carrier: 'docomo',
  iccid: '8981100000000000001',
  ssdAid: 'A0000005591010FFFFFFFF8900000100',
  keysetRecipient: 'sp-tsm',
};

function envelope<D extends MessageDefinition>(def: D, producer: string, payload: PayloadOf<D>): Envelope {
  return {
    messageId: randomUUID(),
    type: def.type,
    schemaVersion: def.schemaVersion,
    correlationId: 'c',
    causationId: null,
    occurredAt: new Date().toISOString(),
    producer,
    payload,
  };
}

describe('producer identity (services authenticate each other, as the routing declaration says)', () => {
  const k = { 'sp-tsm': keys(), lifecycle: keys(), 'mno-tsm-docomo': keys(), 'mno-tsm-kddi': keys(), 'jpki-ca': keys() };
  const trusted = TrustedProducers.parse(Object.entries(k).map(([n, key]) => `${n}=${key.spki}`).join(','));
  const signed = <D extends MessageDefinition>(def: D, producer: keyof typeof k, payload: PayloadOf<D>, as: string = producer) => {
    const e = envelope(def, as, payload);
    return { ...e, signature: ProducerIdentity.fromBase64Pkcs8(as, k[producer].pkcs8).sign(e) };
  };
  const docomoCommands = Topics.mnoCommands.docomo.name;

  it('accepts an envelope signed by a producer declared for its type on that topic, after a JSON round trip', () => {
    const e = JSON.parse(JSON.stringify(signed(SsdCreationRequested, 'sp-tsm', ssd)));
    expect(trusted.check(e, SsdCreationRequested, docomoCommands)).toEqual({ ok: true });
  });

  it('refuses a producer not declared for the type, even with a valid signature', () => {
    expect(trusted.check(signed(SsdCreationRequested, 'lifecycle', ssd), SsdCreationRequested, docomoCommands)).toMatchObject({
      ok: false,
      reason: 'PRODUCER_NOT_AUTHORIZED',
      detail: 'lifecycle may not send mno.ssd-creation.requested on mno.docomo.commands (declared: sp-tsm)',
    });
    // an MNO-TSM forging the CA's proofing reply on its own events topic: the type does not travel there at all
    const reply = { requestId: 'prf-123456', verified: true };
    expect(trusted.check(signed(IdentityProofingCompleted, 'mno-tsm-docomo', reply), IdentityProofingCompleted, Topics.mnoEvents.docomo.name)).toMatchObject({
      reason: 'TOPIC_NOT_ALLOWED',
      detail: 'ca.identity-proofing.completed does not travel on mno.docomo.events (declared: ca.events)',
    });
    // on its own topic, it is the MNO-TSM that may not send it
    expect(trusted.check(signed(IdentityProofingCompleted, 'mno-tsm-docomo', reply), IdentityProofingCompleted, Topics.caEvents.name)).toMatchObject({
      reason: 'PRODUCER_NOT_AUTHORIZED',
    });
  });

  it('lets only the carrier’s own MNO-TSM speak on its events topic', () => {
    const ended = { carrier: 'docomo' as const, msisdn: '+819012345678', iccid: '8981100000000000001', at: new Date().toISOString() };
    expect(trusted.check(signed(ContractEnded, 'mno-tsm-docomo', ended), ContractEnded, Topics.mnoEvents.docomo.name)).toEqual({ ok: true });
    expect(trusted.check(signed(ContractEnded, 'mno-tsm-kddi', ended), ContractEnded, Topics.mnoEvents.docomo.name)).toMatchObject({ reason: 'PRODUCER_NOT_AUTHORIZED' });
  });

  it('refuses a clock message from anyone but the clock authority', () => {
    const clock = { offsetMs: 10 * 86_400_000, setBy: 'attacker' };
    expect(trusted.check(signed(SimulationClockSet, 'lifecycle', clock), SimulationClockSet, Topics.platformClock.name)).toEqual({ ok: true });
    expect(trusted.check(signed(SimulationClockSet, 'sp-tsm', clock), SimulationClockSet, Topics.platformClock.name)).toMatchObject({ reason: 'PRODUCER_NOT_AUTHORIZED' });
    expect(trusted.check(envelope(SimulationClockSet, 'lifecycle', clock), SimulationClockSet, Topics.platformClock.name)).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
  });

  it('refuses a forged producer name, a missing signature and an altered payload', () => {
    expect(trusted.check(signed(SsdCreationRequested, 'lifecycle', ssd, 'sp-tsm'), SsdCreationRequested, docomoCommands)).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
    expect(trusted.check(envelope(SsdCreationRequested, 'sp-tsm', ssd), SsdCreationRequested, docomoCommands)).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
    const altered = signed(SsdCreationRequested, 'sp-tsm', ssd);
    (altered.payload as { iccid: string }).iccid = '8981100000000000002';
    expect(trusted.check(altered, SsdCreationRequested, docomoCommands)).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
  });

  it('refuses everyone when no keys are configured', () => {
    expect(TrustedProducers.parse(undefined).check(signed(SsdCreationRequested, 'sp-tsm', ssd), SsdCreationRequested, docomoCommands)).toMatchObject({
      reason: 'PRODUCER_NOT_AUTHORIZED',
    });
  });

  it('checks that a payload naming a carrier arrived on that carrier’s topic; fixed routes need no carrier', () => {
    expect(checkCarrier(SsdCreationRequested, docomoCommands, ssd)).toEqual({ ok: true });
    expect(checkCarrier(SsdCreationRequested, docomoCommands, { ...ssd, carrier: 'kddi' })).toEqual({
      ok: false,
      reason: 'CARRIER_MISMATCH',
      detail: 'mno.ssd-creation.requested for kddi travels on mno.kddi.commands, not mno.docomo.commands',
    });
    const revoke = { requestId: 'rev-123456', target: { by: 'serial' as const, serial: 'ABCD' }, reason: 'keyCompromise' as const, requestedBy: 'x' };
    expect(checkCarrier(RevocationRequested, Topics.caCommands.name, revoke)).toEqual({ ok: true });
  });
});
