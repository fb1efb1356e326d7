import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Envelope } from '@jpki/contracts';

/**
 * Services authenticate each other at the message level: a producer signs each envelope with its
 * Ed25519 identity key; a subscription that names its allowed producers refuses anything else.
 */
export function signingInput(e: Omit<Envelope, 'signature'>): Buffer {
  return Buffer.from(
    [e.type, e.schemaVersion, e.messageId, e.correlationId, e.causationId ?? '', e.occurredAt, e.producer, JSON.stringify(e.payload)].join('\n'),
    'utf8',
  );
}

export class ProducerIdentity {
  constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
  ) {}

  static fromBase64Pkcs8(name: string, b64: string): ProducerIdentity {
    return new ProducerIdentity(name, createPrivateKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'pkcs8' }));
  }

  sign(e: Omit<Envelope, 'signature'>): string {
    return sign(null, signingInput(e), this.privateKey).toString('base64');
  }
}

export type ProducerCheck = { ok: true } | { ok: false; reason: 'PRODUCER_NOT_AUTHORIZED' | 'PRODUCER_SIGNATURE_INVALID'; detail: string };

export class TrustedProducers {
  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {}

  /** `name=base64Spki,name=base64Spki`; empty means nobody is trusted. */
  static parse(spec: string | undefined): TrustedProducers {
    const entries = (spec ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, b64] = entry.split('=');
        if (!name || !b64) throw new Error('TRUSTED_PRODUCER_KEYS must look like "name=base64Spki[,…]"');
        return [name, createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' })] as const;
      });
    return new TrustedProducers(new Map(entries));
  }

  check(e: Envelope, allowed: readonly string[]): ProducerCheck {
    if (!allowed.includes(e.producer)) {
      return { ok: false, reason: 'PRODUCER_NOT_AUTHORIZED', detail: `${e.producer} may not send ${e.type}` };
    }
    const key = this.keys.get(e.producer);
    if (!key) return { ok: false, reason: 'PRODUCER_NOT_AUTHORIZED', detail: `no trusted key for ${e.producer}` };
    const { signature, ...unsigned } = e;
    if (!signature || !verify(null, signingInput(unsigned), key, Buffer.from(signature, 'base64'))) {
      return { ok: false, reason: 'PRODUCER_SIGNATURE_INVALID', detail: `signature of ${e.producer} does not verify` };
    }
    return { ok: true };
  }
}
