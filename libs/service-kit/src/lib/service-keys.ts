import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { AtRestCipher, open, parseTransportKeys, seal, transportPrivateKey, type SealedBox } from '@jpki/crypto';
import type { BaseConfig } from './config';
import { SERVICE_NAME, SERVICE_CONFIG } from './tokens';

/**
 * This service's secrets handling in one place: sealing data to another service, opening what
 * was sealed to us, and encrypting secrets before they are stored.
 */
@Injectable()
export class ServiceKeys {
  private readonly recipients: Map<string, KeyObject>;
  private readonly transportKey?: KeyObject;
  private readonly cipher?: AtRestCipher;

  constructor(
    @Inject(SERVICE_CONFIG) config: BaseConfig,
    @Inject(SERVICE_NAME) private readonly serviceName: string,
  ) {
    this.recipients = parseTransportKeys(config.TRANSPORT_PUBLIC_KEYS);
    this.transportKey = config.SERVICE_TRANSPORT_KEY ? transportPrivateKey(config.SERVICE_TRANSPORT_KEY) : undefined;
    this.cipher = config.KEY_ENCRYPTION_KEYS ? AtRestCipher.fromSpec(config.KEY_ENCRYPTION_KEYS) : undefined;
  }

  canSealFor(recipient: string): boolean {
    return this.recipients.has(recipient);
  }

  sealFor(recipient: string, plaintext: Buffer, purpose: string): SealedBox {
    const key = this.recipients.get(recipient);
    if (!key) throw new Error(`no transport key configured for ${recipient} (TRANSPORT_PUBLIC_KEYS)`);
    return seal(recipient, key, plaintext, purpose);
  }

  openSealed(box: SealedBox, purpose: string): Buffer {
    if (!this.transportKey) throw new Error('SERVICE_TRANSPORT_KEY is not configured');
    return open(box, this.serviceName, this.transportKey, purpose);
  }

  get atRest(): AtRestCipher {
    if (!this.cipher) throw new Error('KEY_ENCRYPTION_KEYS is not configured');
    return this.cipher;
  }
}
