import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CertificateIssuanceFailed,
  CertificateIssued,
  CertificateIssuanceRequested,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  IPHONE_ENROLLMENT_STEPS,
  IphoneEnrollmentCompleted,
  IphoneEnrollmentFailed,
  type PayloadOf,
} from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { sagaSteps, StepFailure, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { stepPolicies, type SpTsmConfig } from '../config';
import { SP_TSM_CONFIG } from '../tokens';
import { applicationMismatches } from '../enrollment/signed-application';
import { expectedIphoneApplication, IPHONE_SAGA_KIND, iphoneRecipient, issuanceRequestId, proofingRequestId, type IphoneEnrollmentData } from './iphone-enrollment-data';

type Ctx = StepContext<IphoneEnrollmentData>;
const UNIQUE_VIOLATION = '23505';
type Step = (typeof IPHONE_ENROLLMENT_STEPS)[number];

/**
 * The iPhone enrollment saga (docs/DESIGN.md §4.2), on the same engine as the SIM enrollment: identity
 * proofing at the CA (the same card-signed application check) → certificate issuance bound to
 * `{ kind: 'iphone', deviceId }` → completed. No SIM, no SSD, no OTA: the key is either the Secure
 * Enclave's own (② `device-key`, CSR + attestation) or CA-generated and sealed to the device (①), and the
 * device collects the certificate (and the sealed key) from GET /iphone-enrollments/{id}. The SP-TSM only
 * forwards: it never holds a private key, and a sealed key is addressed to the device, not to it.
 */
@Injectable()
export class IphoneEnrollmentSaga {
  readonly definition: SagaDefinition<IphoneEnrollmentData>;

  constructor(
    @Inject(SP_TSM_CONFIG) config: SpTsmConfig,
    private readonly outbox: Outbox,
  ) {
    const step = sagaSteps<IphoneEnrollmentData, 'request'>(stepPolicies(config));
    this.definition = {
      kind: IPHONE_SAGA_KIND,
      initialState: 'requested',
      failedState: 'refused',
      steps: [
        step.request('identity-proofing', (ctx) => this.proveIdentity(ctx), { stateAfter: 'identity-verified' }),
        step.request('certificate-issuance', (ctx) => this.issue(ctx), { stateAfter: 'issued' }),
      ],
      onTransition: (m, t) => this.publishTransition(m, t),
    };
  }

  private async proveIdentity(ctx: Ctx): Promise<Partial<IphoneEnrollmentData>> {
    const d = ctx.data;
    const key = proofingRequestId(d.enrollmentId);
    const reply = await ctx.request(IdentityProofingRequested, { requestId: key, signedApplication: d.signedApplication }, key);
    const p = reply.payload as PayloadOf<typeof IdentityProofingCompleted>;
    if (!p.verified) throw new StepFailure(p.reason ?? 'IDENTITY_NOT_PROVEN', p.detail ?? 'the CA refused the application', false);
    const application = p.application ?? {};
    const mismatches = applicationMismatches(application, expectedIphoneApplication(d));
    if (mismatches.length > 0) throw new StepFailure('APPLICATION_MISMATCH', `the signed application differs in ${mismatches.join(', ')}`, false);
    await this.holdDevice(ctx);
    return {
      personId: p.personId,
      ...(typeof application['deviceModel'] === 'string' ? { deviceModel: application['deviceModel'] } : {}),
      ...(typeof application['msisdn'] === 'string' ? { msisdn: application['msisdn'] } : {}),
    };
  }

  /** Only an enrollment whose applicant the CA has proven holds the device (one such enrollment per device at a time). */
  private async holdDevice(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    try {
      await ctx.transaction((m) => m.query(`UPDATE iphone_enrollment SET holds_device = true WHERE id = $1`, [d.enrollmentId]));
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      throw new StepFailure('ENROLLMENT_IN_PROGRESS', `another enrollment for iPhone ${d.deviceId} is running`, false);
    }
  }

  private async issue(ctx: Ctx): Promise<Partial<IphoneEnrollmentData>> {
    const d = ctx.data;
    const key = issuanceRequestId(d.enrollmentId);
    const attestation = d.attestation ? { attestation: d.attestation } : {};
    const keySource =
      d.method === 'device-key'
        ? { mode: 'csr' as const, csr: required(d.csr, 'csr'), ...attestation }
        : { mode: 'ca-generated' as const, recipient: iphoneRecipient(d.deviceId), recipientKey: required(d.keyAgreementPublicKey, 'keyAgreementPublicKey'), ...attestation };
    const reply = await ctx.request(
      CertificateIssuanceRequested,
      {
        requestId: key,
        personId: required(d.personId, 'personId'),
        enrollmentId: d.enrollmentId,
        device: { kind: 'iphone', deviceId: d.deviceId },
        proofingRequestId: proofingRequestId(d.enrollmentId),
        keySource,
      },
      key,
    );
    if (reply.type === CertificateIssuanceFailed.type) {
      const failed = reply.payload as PayloadOf<typeof CertificateIssuanceFailed>;
      throw new StepFailure(failed.reason, failed.detail ?? 'the CA refused to issue', false);
    }
    const issued = reply.payload as PayloadOf<typeof CertificateIssued>;
    if (d.method === 'ca-generated' && issued.deliveredKey?.recipient !== iphoneRecipient(d.deviceId)) {
      throw new StepFailure('DELIVERED_KEY_MISSING', 'the CA returned no key sealed to the device', false);
    }
    return {
      serial: issued.serial,
      certificate: issued.certificate,
      notAfter: issued.notAfter,
      ...(issued.deliveredKey ? { deliveredKey: issued.deliveredKey } : {}),
    };
  }

  private async publishTransition(m: EntityManager, t: Transition<IphoneEnrollmentData>): Promise<void> {
    const d = t.data;
    if (t.status === 'completed') {
      await m.query(`UPDATE iphone_enrollment SET active = false, person_id = $2, serial = $3, updated_at = now() WHERE id = $1`, [d.enrollmentId, d.personId, d.serial]);
      await this.outbox.publish(
        m,
        IphoneEnrollmentCompleted,
        {
          enrollmentId: d.enrollmentId,
          personId: required(d.personId, 'personId'),
          serial: required(d.serial, 'serial'),
          deviceId: d.deviceId,
          method: d.method,
          ...(d.deviceModel ? { deviceModel: d.deviceModel.slice(0, 64) } : {}),
          ...(d.msisdn ? { msisdn: d.msisdn } : {}),
        },
        { correlationId: d.enrollmentId },
      );
    }
    if (t.status === 'failed' && t.failure) {
      const failure = t.failure;
      await m.query(`UPDATE iphone_enrollment SET active = false, updated_at = now() WHERE id = $1`, [d.enrollmentId]);
      await this.outbox.publish(
        m,
        IphoneEnrollmentFailed,
        {
          enrollmentId: d.enrollmentId,
          deviceId: d.deviceId,
          method: d.method,
          step: failure.step as Step,
          reason: failure.reason.slice(0, 64),
          detail: failure.detail.slice(0, 1024),
        },
        { correlationId: d.enrollmentId },
      );
    }
  }
}

/**
 * The verified application must be an iPhone application for this device and method (the application's
 * words: on-device = device-key, ca-generated = ca-generated). The CA checks the same and the device key.
 */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StepFailure('ENROLLMENT_DATA_MISSING', `the saga has no ${what}`, false);
  return value;
}
