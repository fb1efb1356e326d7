import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CertificateIssued, CertificateStatusChanged, RevocationRefused, type PayloadOf } from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { ReadModel } from '../domain/read-model';
import { CaseService } from '../flows/case-service';
import { SystemFlows } from '../flows/system-flows';

/** `ca.events`: the phones' certificates (issued, renewed, status changes) and card certificate changes. */
@Controller()
export class CaEventsHandler {
  constructor(
    private readonly read: ReadModel,
    private readonly cases: CaseService,
    private readonly flows: SystemFlows,
  ) {}

  /**
   * A phone certificate: a new phone, or a renewal (same enrollment, new serial). A SIM already closed gets it revoked.
   * A phone signing certificate is only recorded: the phone's service is its user-authentication certificate.
   */
  @EventPattern(CertificateIssued.type)
  async issued(@Payload() p: PayloadOf<typeof CertificateIssued>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    if (p.kind === 'phone-signing') {
      await this.read.recordCertificate(m, { serial: p.serial, enrollmentId: p.enrollmentId, personId: p.personId, notAfter: new Date(p.notAfter), kind: p.kind });
      return;
    }
    const sim = p.device.kind === 'sim' ? await this.read.lockSim(m, p.device.iccid, { carrier: p.device.carrier, msisdn: p.device.msisdn }) : undefined;
    const existing = await this.read.phone(p.enrollmentId, m, true);
    if (existing && existing.serial !== p.serial) {
      await this.read.recordCertificate(m, { serial: p.serial, enrollmentId: p.enrollmentId, personId: p.personId, notAfter: new Date(p.notAfter) });
      await this.read.renewPhone(m, p.enrollmentId, p.serial, new Date(p.notAfter));
      return;
    }
    const { phone } = await this.read.upsertPhone(m, { enrollmentId: p.enrollmentId, personId: p.personId, serial: p.serial, device: p.device, notAfter: new Date(p.notAfter) });
    await this.read.markReenrollment(m, p.personId, null);
    if (sim?.closedAt) await this.flows.closedSimLate(m, phone, sim, 'certificate-issued');
  }

  @EventPattern(CertificateStatusChanged.type)
  async statusChanged(@Payload() p: PayloadOf<typeof CertificateStatusChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    if (p.requestId?.startsWith('case-')) await this.cases.engine.recordReply(m, p.requestId, ctx.envelope.type, p, ctx.envelope.correlationId);
    if (p.kind === 'phone-signing') {
      // It follows the phone (loss, found, contract end) or the card signing certificate (a 4-info change): nothing to do.
      await this.read.applyCertificateStatus(m, p.serial, p.status, p.reason ?? null, new Date(p.changedAt), false);
      return;
    }
    if (p.kind !== 'phone-user-authentication') {
      if (p.status !== 'good') await this.flows.cardChanged(m, p);
      return;
    }
    const known = await this.read.phoneByCertificate(p.serial, m);
    if (!known) return;
    if (known.phone.iccid) await this.read.lockSim(m, known.phone.iccid);
    const renewal = p.reason === 'superseded' && (await this.isRenewal(m, p.requestId));
    const current = !renewal && known.phone.serial === p.serial;
    const phone = await this.read.applyCertificateStatus(m, p.serial, p.status, p.reason ?? null, new Date(p.changedAt), current);
    if (!phone || p.status !== 'revoked') return;
    if (p.reason === 'superseded') {
      await this.flows.deviceChange(m, phone, p);
      return;
    }
    // Revocations a case asked for, and the card cascade (its card case is already open), need nothing more.
    if (p.requestId?.startsWith('case-')) return;
    const cardCase = await this.cases.latest(m, { personId: p.personId, statuses: ['open', 'waiting-device'] });
    if (p.reason === 'cessationOfOperation' && cardCase && (cardCase.kind === 'card-revocation' || cardCase.kind === 'card-renewal')) return;
    if (phone.serviceState === 'operational' || phone.serviceState === 'suspended') await this.flows.revokedElsewhere(m, phone, p);
  }

  @EventPattern(RevocationRefused.type)
  async refused(@Payload() p: PayloadOf<typeof RevocationRefused>, @Ctx() ctx: MessageContext): Promise<void> {
    if (p.requestId.startsWith('case-')) await this.cases.engine.recordReply(ctx.manager, p.requestId, ctx.envelope.type, p, ctx.envelope.correlationId);
  }

  /** A supersession caused by a renewal this service asked for (`<caseId>:renewal:issuance`). */
  private async isRenewal(m: MessageContext['manager'], requestId: string | undefined): Promise<boolean> {
    if (!requestId?.endsWith(':renewal:issuance')) return false;
    const rows: unknown[] = await m.query(`SELECT 1 FROM lifecycle_case WHERE id = $1 AND kind = 'renewal'`, [requestId.split(':')[0]]);
    return rows.length > 0;
  }
}
