import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { JPKI_RSA_BITS } from '@jpki/globalplatform';

export interface RsaKeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** Source of on-card RSA-2048 key pairs; tests inject a pre-generated pool to stay fast. */
export type RsaKeyPairFactory = () => RsaKeyPair;

export const generateRsaKeyPair: RsaKeyPairFactory = () =>
  generateKeyPairSync('rsa', { modulusLength: JPKI_RSA_BITS, publicExponent: 0x10001 });
