import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Envelope } from '@jpki/contracts';
import { ProducerIdentity, TrustedProducers } from './producer-identity';

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

function envelope(producer: string): Envelope {
  return {
    messageId: randomUUID(),
    type: 'mno.ssd-creation.requested',
    schemaVersion: 1,
    correlationId: 'c',
    causationId: null,
    occurredAt: new Date().toISOString(),
    producer,
    payload: { iccid: '8981100000000000001', nested: { a: [1, 2] } },
  };
}

describe('producer identity (services authenticate each other)', () => {
  const sp = keys();
  const other = keys();
  const trusted = TrustedProducers.parse(`sp-tsm=${sp.spki},lifecycle=${other.spki}`);
  const signed = (producer: string, pkcs8: string) => {
    const e = envelope(producer);
    return { ...e, signature: ProducerIdentity.fromBase64Pkcs8(producer, pkcs8).sign(e) };
  };

  it('accepts an envelope signed by an allowed producer, after a JSON round trip', () => {
    const e = JSON.parse(JSON.stringify(signed('sp-tsm', sp.pkcs8)));
    expect(trusted.check(e, ['sp-tsm'])).toEqual({ ok: true });
  });

  it('refuses a producer that is not allowed for this subscription, even with a valid signature', () => {
    expect(trusted.check(signed('lifecycle', other.pkcs8), ['sp-tsm'])).toMatchObject({ ok: false, reason: 'PRODUCER_NOT_AUTHORIZED' });
  });

  it('refuses a forged producer name, a missing signature and an altered payload', () => {
    expect(trusted.check(signed('sp-tsm', other.pkcs8), ['sp-tsm'])).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
    expect(trusted.check(envelope('sp-tsm'), ['sp-tsm'])).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
    const altered = signed('sp-tsm', sp.pkcs8);
    (altered.payload as { iccid: string }).iccid = '8981100000000000002';
    expect(trusted.check(altered, ['sp-tsm'])).toMatchObject({ reason: 'PRODUCER_SIGNATURE_INVALID' });
  });

  it('refuses everyone when no keys are configured', () => {
    expect(TrustedProducers.parse(undefined).check(signed('sp-tsm', sp.pkcs8), ['sp-tsm'])).toMatchObject({ reason: 'PRODUCER_NOT_AUTHORIZED' });
  });
});
