/**
 * RA policy for iPhone device key attestation (SIMULATED Apple-like, docs/IPHONE-METHODS.md): the
 * statement must chain to a configured vendor root (`DEVICE_ATTESTATION_ROOTS`) at Clock.now(), certify
 * exactly the key of the request, carry nonce = SHA-256(application nonce ‖ keyId) of the application the
 * CA verified in identity proofing, name the bound device, and describe a non-exportable Secure Enclave key
 * of the right purpose (signing keys: biometry required).
 */
import { Inject, Injectable } from '@nestjs/common';
import { verifyDeviceAttestation, type AttestationRefusal, type AttestedKeyPurpose } from '@jpki/iphone-device';
import { decodeCertificate } from '@jpki/pki';
import { counter } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';

export type AttestationDecision =
  | { readonly ok: true; readonly keyId: string }
  | { readonly ok: false; readonly reason: AttestationRefusal | 'ATTESTATION_REQUIRED'; readonly detail: string };

export interface AttestationCheck {
  readonly attestation: string | undefined;
  readonly publicKeySpki: Buffer;
  readonly applicationNonce: string;
  readonly deviceId: string;
  readonly purpose: AttestedKeyPurpose;
}

@Injectable()
export class DeviceAttestationService {
  private readonly roots: readonly Buffer[];
  private readonly outcomes = counter('ca_device_attestation_total', 'iPhone device attestation decisions', ['reason']);

  constructor(
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) config: CaConfig,
  ) {
    this.roots = config.DEVICE_ATTESTATION_ROOTS.map((b64) => {
      const der = Buffer.from(b64, 'base64');
      decodeCertificate(der);
      return der;
    });
  }

  get configuredRoots(): number {
    return this.roots.length;
  }

  async check(input: AttestationCheck): Promise<AttestationDecision> {
    const decision = await this.evaluate(input);
    this.outcomes.inc({ reason: decision.ok ? 'VERIFIED' : decision.reason });
    return decision;
  }

  private async evaluate(input: AttestationCheck): Promise<AttestationDecision> {
    if (!input.attestation) {
      return { ok: false, reason: 'ATTESTATION_REQUIRED', detail: `an iPhone ${input.purpose} key must come with a device attestation` };
    }
    const result = await verifyDeviceAttestation({
      attestation: input.attestation,
      publicKeySpki: input.publicKeySpki,
      applicationNonce: input.applicationNonce,
      deviceId: input.deviceId,
      purpose: input.purpose,
      trustAnchors: this.roots,
      at: this.clock.now(),
    });
    return result.ok ? { ok: true, keyId: result.claims.keyId.toString('base64url') } : { ok: false, reason: result.reason, detail: result.detail };
  }
}
