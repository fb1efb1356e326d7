import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { routeOn, topicOf, type Envelope, type MessageDefinition } from '@jpki/contracts';

/**
 * Services authenticate each other at the message level: a producer signs each envelope with its Ed25519 identity
 * key. What a consumer accepts follows from the routing declared with each message type (libs/contracts `routes`):
 * the type must travel on the topic it arrived on, the producer must be one declared for that topic, its signature
 * must verify, and on a per-carrier topic the payload's carrier must be the topic's.
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

  /** Signs data this service will read back itself (its retry headers). */
  stamp(data: Buffer): string {
    return sign(null, data, this.privateKey).toString('base64');
  }

  /** Whether `stamp` is this service's own signature over `data`. */
  stamped(data: Buffer, stamp: string): boolean {
    return verify(null, data, createPublicKey(this.privateKey), Buffer.from(stamp, 'base64'));
  }
}

export type RouteRefusal = 'TOPIC_NOT_ALLOWED' | 'CARRIER_MISMATCH' | 'PRODUCER_NOT_AUTHORIZED' | 'PRODUCER_SIGNATURE_INVALID';
export type ProducerCheck = { ok: true } | { ok: false; reason: RouteRefusal; detail: string };

const refuse = (reason: RouteRefusal, detail: string): ProducerCheck => ({ ok: false, reason, detail });

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

  /**
   * Whether an envelope of `definition` may have arrived on `topic` (logical name): the type is routed there, its
   * producer is one declared for that route, and the producer's signature verifies. The payload is not parsed yet:
   * see `checkCarrier` for what the payload must say.
   */
  check(e: Envelope, definition: MessageDefinition, topic: string): ProducerCheck {
    const route = routeOn(definition, topic);
    if (!route) {
      return refuse('TOPIC_NOT_ALLOWED', `${e.type} does not travel on ${topic} (declared: ${definition.routes.map((r) => r.topic.name).join(', ')})`);
    }
    if (!(route.producers as readonly string[]).includes(e.producer)) {
      return refuse('PRODUCER_NOT_AUTHORIZED', `${e.producer} may not send ${e.type} on ${topic} (declared: ${route.producers.join(', ')})`);
    }
    const key = this.keys.get(e.producer);
    if (!key) return refuse('PRODUCER_NOT_AUTHORIZED', `no trusted key for ${e.producer}`);
    const { signature, ...unsigned } = e;
    if (!signature || !verify(null, signingInput(unsigned), key, Buffer.from(signature, 'base64'))) {
      return refuse('PRODUCER_SIGNATURE_INVALID', `signature of ${e.producer} does not verify`);
    }
    return { ok: true };
  }
}

/**
 * A payload naming a carrier must have arrived on that carrier's topic (a docomo message cannot speak for a KDDI
 * subscriber): the topic the payload routes to is the topic it arrived on.
 */
export function checkCarrier(definition: MessageDefinition, topic: string, payload: unknown): ProducerCheck {
  const carrier = (payload as { carrier?: unknown } | null)?.carrier;
  let expected: string;
  try {
    expected = topicOf(definition, payload as never).name;
  } catch (err) {
    return refuse('CARRIER_MISMATCH', (err as Error).message);
  }
  if (expected === topic) return { ok: true };
  return refuse('CARRIER_MISMATCH', `${definition.type} for ${String(carrier)} travels on ${expected}, not ${topic}`);
}
