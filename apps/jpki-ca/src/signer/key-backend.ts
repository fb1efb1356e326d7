import { Injectable } from '@nestjs/common';
import { exportPkcs8Der, generateRsaKeyPair, importPkcs8PrivateKey, SoftwareRsaSigner, type Signer } from '@jpki/pki';
import { ServiceKeys } from '@jpki/service-kit';
import type { AuthorityId } from '../storage/types';

/**
 * Where CA private keys live. The CA only ever holds `Signer`s; a PKCS#11/HSM backend would generate keys
 * inside the token and persist a key label as the reference instead of a sealed key.
 */
export abstract class CaKeyBackend {
  /** Generates a new RSA-2048 key for `authority`; `keyReference` is what gets stored in `ca_authority`. */
  abstract generate(authority: AuthorityId): Promise<{ signer: Signer; keyReference: string }>;
  /** The signer for a stored reference. */
  abstract load(authority: AuthorityId, keyReference: string): Signer;
}

/** Software keys, stored only sealed with the service's at-rest KEK (AES-256-GCM bound to the authority). */
@Injectable()
export class SealedSoftwareKeyBackend extends CaKeyBackend {
  constructor(private readonly keys: ServiceKeys) {
    super();
  }

  async generate(authority: AuthorityId): Promise<{ signer: Signer; keyReference: string }> {
    const { privateKey } = await generateRsaKeyPair(2048);
    const pkcs8 = exportPkcs8Der(privateKey);
    const keyReference = this.keys.atRest.seal(pkcs8, aad(authority));
    pkcs8.fill(0);
    return { signer: new SoftwareRsaSigner(privateKey), keyReference };
  }

  load(authority: AuthorityId, keyReference: string): Signer {
    const pkcs8 = this.keys.atRest.open(keyReference, aad(authority));
    const signer = new SoftwareRsaSigner(importPkcs8PrivateKey(pkcs8));
    pkcs8.fill(0);
    return signer;
  }
}

const aad = (authority: AuthorityId) => `jpki-ca/ca-key/${authority}`;
