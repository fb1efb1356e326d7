import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CertificateStatusChanged, type PayloadOf } from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { Clock } from '@jpki/service-kit';
import { lockCertificate, Sessions } from '../login/sessions';

/**
 * `ca.certificate.status-changed` (only from jpki-ca, signature-checked by the inbox): remember the
 * announced status and end the sessions of a certificate that is no longer good (loss hold,
 * revocation, supersession by a new phone). Runs in the inbox transaction, exactly once per message.
 */
@Controller()
export class CaEventsHandler {
  constructor(
    private readonly sessions: Sessions,
    private readonly clock: Clock,
  ) {}

  @EventPattern(CertificateStatusChanged.type)
  async onStatusChanged(@Payload() change: PayloadOf<typeof CertificateStatusChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    if (change.kind === 'card-signing') return; // never used to log in
    const m = ctx.manager;
    await lockCertificate(m, change.serial);
    await m.query(
      `INSERT INTO certificate_status (serial, status, reason, changed_at, received_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (serial) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at, received_at = EXCLUDED.received_at
       WHERE certificate_status.changed_at <= EXCLUDED.changed_at`,
      [change.serial, change.status, change.reason ?? null, new Date(change.changedAt), this.clock.now()],
    );
    if (change.status === 'good') return;
    const reason = change.status === 'on-hold' ? 'CERTIFICATE_ON_HOLD' : 'CERTIFICATE_REVOKED';
    await this.sessions.endForCertificate(m, change.serial, reason, `the CA announced ${change.status} (${change.reason ?? 'unspecified'}) at ${change.changedAt}`);
  }
}
