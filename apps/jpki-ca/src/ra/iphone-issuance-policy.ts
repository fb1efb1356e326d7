/**
 * RA policy for iPhone issuance (docs/DESIGN.md §4.2; docs/IPHONE-METHODS.md). Both methods end in an EC P-256
 * phone certificate under the RSA-2048 user-authentication CA:
 *   ② `csr`: the Secure Enclave key — P-256 CSR (proof of possession) + device attestation of that key;
 *   ① `ca-generated`: the CA generates a P-256 key and seals its PKCS#8 to the device's attested Secure
 *      Enclave key-agreement key (`recipientKey`), so nothing between the CA and the device can open it.
 * In both, the application the CA verified in identity proofing (the record ProofingRecords admitted: an iPhone
 * application for this device and this key mode) must name this device key (`deviceKeyId`, signed by the card), and
 * the attestation must carry its nonce. Nothing is written here: the decision feeds the issuance cycle of IssuanceService.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeviceBinding } from '@jpki/contracts';
import { seal, sealedBoxRecipientKey, SealedBoxError } from '@jpki/crypto';
import { deviceKeyIdText } from '@jpki/iphone-device';
import { CsrError, exportPkcs8Der, exportSpkiDer, generateEcP256KeyPair, isEcP256Spki, verifyCsr } from '@jpki/pki';
import { CaStore } from '../storage/ca-store';
import type { SealedBoxRecord } from '../storage/types';
import { DeviceAttestationService } from './attestation.service';
import { sha256Hex } from './canonical';
import type { IssuanceRequest } from './issuance.service';
import type { ProofedSubject } from './proofing-records';

export type IphoneAdmission =
  | { readonly ok: true; readonly subjectPublicKeyInfo: Buffer; readonly deliveredKey: SealedBoxRecord | null }
  | { readonly ok: false; readonly reason: string; readonly detail: string };

type IphoneBinding = Extract<DeviceBinding, { kind: 'iphone' }>;

/** The recipient name a key delivered to an iPhone is sealed for (and the device opens it as). */
export function iphoneRecipient(deviceId: string): string {
  return `iphone:${deviceId}`;
}

@Injectable()
export class IphoneIssuancePolicy {
  constructor(
    private readonly store: CaStore,
    private readonly attestations: DeviceAttestationService,
    private readonly dataSource: DataSource,
  ) {}

  /** True for the requests this policy decides (iPhone bindings, new keys; renewals follow the renewal policy). */
  applies(request: IssuanceRequest): boolean {
    return request.device.kind === 'iphone' && request.keySource.mode !== 'renewal';
  }

  /** `subject`: the proofing record the request consumes (ProofingRecords already matched its application to this device and key mode). */
  async admit(request: IssuanceRequest, subject: ProofedSubject): Promise<IphoneAdmission> {
    const device = request.device as IphoneBinding;
    const refuse = (reason: string, detail: string): IphoneAdmission => ({ ok: false, reason, detail });
    const application = subject.application;
    // 1. The attestation binds the key to the nonce of the application the CA itself verified.
    const applicationNonce = String(application['nonce']);

    // 2. One person per iPhone.
    const other: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM certificate WHERE kind = 'phone-user-authentication' AND status <> 'revoked'
         AND device->>'kind' = 'iphone' AND device->>'deviceId' = $1 AND person_id <> $2 LIMIT 1`,
      [device.deviceId, subject.personId],
    );
    if (other.length > 0) return refuse('DEVICE_BOUND_TO_OTHER_PERSON', `iPhone ${device.deviceId} carries an active certificate of another person`);

    // 3. The key.
    if (request.keySource.mode === 'csr') {
      let subjectPublicKeyInfo: Buffer;
      try {
        // Proof of possession: the CSR signature (ECDSA-with-SHA256) verifies with the key it carries.
        subjectPublicKeyInfo = verifyCsr(Buffer.from(request.keySource.csr, 'base64'), { keyAlgorithms: ['EC-P256'] }).subjectPublicKeyInfo;
      } catch (error) {
        if (error instanceof CsrError) {
          const detail = error.reason === 'KEY_ALGORITHM_UNSUPPORTED' ? `${error.message} (an iPhone Secure Enclave key is P-256)` : error.message;
          return refuse(error.reason, detail);
        }
        throw error;
      }
      const attested = await this.attestations.check({
        attestation: request.keySource.attestation,
        publicKeySpki: subjectPublicKeyInfo,
        applicationNonce,
        deviceId: device.deviceId,
        purpose: 'signing',
      });
      if (!attested.ok) return attested;
      const keyProblem = this.deviceKeyProblem(application, subjectPublicKeyInfo);
      if (keyProblem) return keyProblem;
      if (await this.store.isKeyCertified(sha256Hex(subjectPublicKeyInfo))) {
        return refuse('KEY_ALREADY_CERTIFIED', 'this public key is already certified; generate a new key pair');
      }
      return { ok: true, subjectPublicKeyInfo, deliveredKey: null };
    }

    if (request.keySource.mode !== 'ca-generated') return refuse('KEY_SOURCE_UNSUPPORTED', `key source ${request.keySource.mode}`);
    const { recipient, recipientKey, attestation } = request.keySource;
    if (recipient !== iphoneRecipient(device.deviceId)) return refuse('RECIPIENT_MISMATCH', `a key for iPhone ${device.deviceId} is sealed for ${iphoneRecipient(device.deviceId)}, not ${recipient}`);
    if (!recipientKey) return refuse('RECIPIENT_KEY_REQUIRED', 'an iPhone receives its key sealed to its Secure Enclave key-agreement key (recipientKey)');
    const recipientSpki = Buffer.from(recipientKey, 'base64');
    let recipientPublicKey: ReturnType<typeof sealedBoxRecipientKey>;
    try {
      recipientPublicKey = sealedBoxRecipientKey(recipientSpki);
    } catch (error) {
      if (error instanceof SealedBoxError) return refuse('RECIPIENT_KEY_UNSUPPORTED', error.message);
      throw error;
    }
    if (!isEcP256Spki(recipientSpki)) return refuse('RECIPIENT_KEY_UNSUPPORTED', 'an iPhone key-agreement key is P-256');
    const attested = await this.attestations.check({ attestation, publicKeySpki: recipientSpki, applicationNonce, deviceId: device.deviceId, purpose: 'key-agreement' });
    if (!attested.ok) return attested;
    const keyProblem = this.deviceKeyProblem(application, recipientSpki);
    if (keyProblem) return keyProblem;

    // The Secure Enclave holds P-256 only: the CA generates a P-256 key and keeps no clear copy.
    const { privateKey } = await generateEcP256KeyPair();
    const pkcs8 = exportPkcs8Der(privateKey);
    try {
      const deliveredKey = seal(recipient, recipientPublicKey, pkcs8, `delivered-key/${request.requestId}`);
      return { ok: true, subjectPublicKeyInfo: exportSpkiDer(privateKey), deliveredKey };
    } finally {
      pkcs8.fill(0);
    }
  }

  /** The card-signed application names the device key (keyId); the key of the request must be that one. */
  private deviceKeyProblem(application: Record<string, unknown>, spki: Buffer): IphoneAdmission | undefined {
    const keyId = deviceKeyIdText(spki);
    if (application['deviceKeyId'] === keyId) return undefined;
    return {
      ok: false,
      reason: 'DEVICE_KEY_MISMATCH',
      detail: application['deviceKeyId'] ? `the application names device key ${String(application['deviceKeyId'])}, the request carries ${keyId}` : 'the application names no deviceKeyId',
    };
  }
}
