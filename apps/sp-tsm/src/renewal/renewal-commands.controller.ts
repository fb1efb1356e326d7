import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ServiceRenewalCompleted, ServiceRenewalRequested, type Carrier, type PayloadOf } from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';
import { RenewalSaga, type RenewalData } from './renewal-saga';

interface InstanceRow {
  enrollment_id: string;
  carrier: Carrier;
  person_id: string;
  ssd_aid: string;
  applet_aid: string;
  scp03_s_mode: 8 | 16;
  max_apdu_data_bytes: number;
  serial: string;
  state: string;
  pending_request: string | null;
}

/** `sptsm.service.renewal-requested` (from the lifecycle service): one renewal saga per request id. */
@Controller()
export class RenewalCommandsController {
  constructor(
    private readonly sagas: SagaHost,
    private readonly renewals: RenewalSaga,
  ) {}

  @EventPattern(ServiceRenewalRequested.type)
  async renew(@Payload() p: PayloadOf<typeof ServiceRenewalRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    if (await this.sagas.engine.get(p.requestId, ctx.manager)) return;
    const rows: InstanceRow[] = await ctx.manager.query(
      `SELECT enrollment_id, carrier, person_id, ssd_aid, applet_aid, scp03_s_mode, max_apdu_data_bytes, serial, state, pending_request FROM service_instance WHERE iccid = $1 FOR UPDATE`,
      [p.iccid],
    );
    const instance = rows[0];
    const refusal = !instance || instance.state === 'terminated'
      ? { outcome: 'not-deployed' as const }
      : instance.state !== 'operational' || instance.pending_request
        ? { outcome: 'failed' as const, reason: 'SERVICE_NOT_OPERATIONAL', detail: `the service on ${p.iccid} is ${instance.state}${instance.pending_request ? ' with a queued operation' : ''}` }
        : instance.serial !== p.previousSerial
          ? { outcome: 'failed' as const, reason: 'SERIAL_MISMATCH', detail: `the service on ${p.iccid} runs ${instance.serial}` }
          : instance.person_id !== p.personId
            ? { outcome: 'failed' as const, reason: 'PERSON_MISMATCH', detail: `the service on ${p.iccid} belongs to another person` }
            : undefined;
    if (refusal || !instance) {
      await ctx.publish(ServiceRenewalCompleted, { requestId: p.requestId, iccid: p.iccid, previousSerial: p.previousSerial, ...(refusal ?? { outcome: 'not-deployed' }) });
      return;
    }
    const data: RenewalData = {
      requestId: p.requestId,
      iccid: p.iccid,
      carrier: instance.carrier,
      personId: p.personId,
      enrollmentId: instance.enrollment_id,
      previousSerial: p.previousSerial,
      device: p.device,
      ssdAid: instance.ssd_aid,
      appletAid: instance.applet_aid,
      scp03SMode: instance.scp03_s_mode,
      maxApduDataBytes: instance.max_apdu_data_bytes,
    };
    await this.sagas.engine.create(ctx.manager, this.renewals.definition.kind, p.requestId, data);
  }
}
