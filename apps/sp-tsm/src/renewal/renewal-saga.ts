import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CertificateIssuanceFailed,
  CertificateIssuanceRequested,
  CertificateIssued,
  ServiceRenewalCompleted,
  type Carrier,
  type DeviceBinding,
  type PayloadOf,
  seAddressOf,
} from '@jpki/contracts';
import { fromHex } from '@jpki/globalplatform';
import { Outbox } from '@jpki/messaging';
import { decodeCertificate, formatSerialNumber } from '@jpki/pki';
import { sagaSteps, StepFailure, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { OtaCardChannel } from '../card/ota-card-channel';
import { SpCard, ssdChannel } from '../card/sp-card';
import { stepPolicies, type SpTsmConfig } from '../config';
import { KeysetVault } from '../keys/keyset-vault';
import { ServiceInstances } from '../service/service-instances';
import { SP_TSM_CONFIG } from '../tokens';

/** What a renewal saga carries (no secrets: keys stay in the vault). */
export interface RenewalData extends Record<string, unknown> {
  requestId: string;
  iccid: string;
  carrier: Carrier;
  personId: string;
  enrollmentId: string;
  previousSerial: string;
  device: DeviceBinding;
  ssdAid: string;
  appletAid: string;
  scp03SMode?: 8 | 16;
  maxApduDataBytes?: number;
  serial?: string;
  certificate?: string;
  notAfter?: string;
}

type Ctx = StepContext<RenewalData>;

/** The certificate the CA issued in the step before (the saga data carries it). */
function issuedCertificate(d: RenewalData): Buffer {
  if (!d.certificate) throw new StepFailure('CERTIFICATE_MISSING', 'no issued certificate in the saga data', false);
  return Buffer.from(d.certificate, 'base64');
}

/** Serial of a DER certificate as the platform writes serials (upper-case hex). */
function serialOf(der: Buffer): string {
  return formatSerialNumber(decodeCertificate(der).tbs.serialNumber);
}

/**
 * Renewal on the same applet (asked for by the lifecycle service): check that the applet answers and
 * still holds the certificate to renew (nothing is issued for a phone that is off) → the CA certifies
 * the applet's key again (`keySource: renewal`; it supersedes the previous certificate) → the new
 * certificate is written through the SP's SSD channel, sealed with the applet's content key (no new
 * key, no proof of possession) → read back. No compensation: once the CA has issued, the step that
 * writes retries; a renewal that fails for good leaves the case to the lifecycle service (re-enroll).
 */
@Injectable()
export class RenewalSaga {
  readonly definition: SagaDefinition<RenewalData>;

  constructor(
    @Inject(SP_TSM_CONFIG) private readonly config: SpTsmConfig,
    private readonly vault: KeysetVault,
    private readonly outbox: Outbox,
    private readonly instances: ServiceInstances,
  ) {
    const step = sagaSteps<RenewalData, 'request' | 'card'>(stepPolicies(config));
    this.definition = {
      kind: 'renewal',
      initialState: 'operational',
      failedState: 'operational',
      steps: [
        step.card('card-check', (ctx) => this.checkCard(ctx)),
        step.request('certificate-issuance', (ctx) => this.issue(ctx)),
        step.card('certificate-write', (ctx) => this.write(ctx)),
      ],
      onTransition: (m, t) => this.finish(m, t),
    };
  }

  private spCard(ctx: Ctx, step: string): SpCard {
    const d = ctx.data;
    return new SpCard(
      new OtaCardChannel(ctx as never, step, seAddressOf(d.iccid, d.carrier)),
      fromHex(d.ssdAid),
      ssdChannel(this.config.SCP03_SECURITY_LEVEL, d),
      this.vault.sequenceCounters(d.iccid, d.ssdAid),
    );
  }

  /** The applet answers and holds the certificate being renewed (one OTA round trip, nothing written). */
  private async checkCard(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const held = await this.spCard(ctx, 'card-check').readCertificate(fromHex(d.appletAid));
    if (held.length === 0) throw new StepFailure('CARD_CERTIFICATE_MISSING', 'the applet holds no certificate', false);
    const serial = serialOf(held);
    if (serial !== d.previousSerial) throw new StepFailure('CARD_CERTIFICATE_MISMATCH', `the applet holds ${serial}, not ${d.previousSerial}`, false);
  }

  private async issue(ctx: Ctx): Promise<Partial<RenewalData>> {
    const d = ctx.data;
    const key = `${d.requestId}:issuance`;
    const reply = await ctx.request(
      CertificateIssuanceRequested,
      { requestId: key, personId: d.personId, enrollmentId: d.enrollmentId, device: d.device, keySource: { mode: 'renewal', previousSerial: d.previousSerial } },
      key,
    );
    if (reply.type === CertificateIssuanceFailed.type) {
      const failed = reply.payload as PayloadOf<typeof CertificateIssuanceFailed>;
      throw new StepFailure(failed.reason, failed.detail ?? 'the CA refused to renew', false);
    }
    const issued = reply.payload as PayloadOf<typeof CertificateIssued>;
    return { serial: issued.serial, certificate: issued.certificate, notAfter: issued.notAfter };
  }

  private async write(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const certificate = issuedCertificate(d);
    const appletAid = fromHex(d.appletAid);
    const card = this.spCard(ctx, 'certificate-write');
    const keys = await ctx.transaction((m) => this.vault.load(m, d.iccid, d.ssdAid, 'sp'));
    if (!keys) throw new StepFailure('SP_KEYSET_MISSING', 'no SP keyset for this SSD', false);
    const contentKey = await this.vault.contentKey(d.iccid, d.appletAid);
    await card.writeKeyAndCertificate(keys, appletAid, contentKey, certificate);
  }

  private async finish(m: EntityManager, t: Transition<RenewalData>): Promise<void> {
    const d = t.data;
    const common = { requestId: d.requestId, iccid: d.iccid, previousSerial: d.previousSerial };
    if (t.status === 'completed') {
      if (!d.serial) throw new Error(`renewal ${d.requestId} completed without a serial`);
      await this.instances.renewed(m, d.iccid, d.serial, d.previousSerial);
      await this.outbox.publish(m, ServiceRenewalCompleted, { ...common, outcome: 'renewed', serial: d.serial, notAfter: d.notAfter }, { correlationId: d.requestId });
    } else if (t.status === 'failed') {
      await this.outbox.publish(
        m,
        ServiceRenewalCompleted,
        {
          ...common,
          outcome: 'failed',
          ...(d.serial ? { serial: d.serial, notAfter: d.notAfter } : {}),
          reason: (t.failure?.reason ?? 'RENEWAL_FAILED').slice(0, 64),
          detail: t.failure?.detail.slice(0, 1024),
        },
        { correlationId: d.requestId },
      );
    }
  }
}
