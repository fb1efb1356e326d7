import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ContractEnded, HandsetChanged, MsisdnChanged, SimSwapped, type PayloadOf } from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { ReadModel } from '../domain/read-model';
import { SystemFlows } from '../flows/system-flows';

/**
 * The carriers' notifications (`mno.<carrier>.events`). A handset change moves the SIM, and the applet with it, to
 * another handset: the certificate is bound to the SIM, nothing to do but record it. An MSISDN change updates the
 * phone's binding (used for renewals). A SIM swap and a contract end open cases.
 */
@Controller()
export class MnoEventsHandler {
  constructor(
    private readonly read: ReadModel,
    private readonly flows: SystemFlows,
  ) {}

  @EventPattern(SimSwapped.type)
  async simSwapped(@Payload() p: PayloadOf<typeof SimSwapped>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    const old = await this.read.lockSim(m, p.oldIccid, { carrier: p.carrier });
    if (old.closedAt) return;
    await this.read.closeSim(m, p.oldIccid, 'sim-swapped', new Date(p.at), p.newIccid);
    await this.read.lockSim(m, p.newIccid, { carrier: p.carrier, msisdn: p.msisdn });
    await this.flows.simSwapped(m, p);
  }

  @EventPattern(MsisdnChanged.type)
  async msisdnChanged(@Payload() p: PayloadOf<typeof MsisdnChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.read.lockSim(ctx.manager, p.iccid, { carrier: p.carrier });
    await this.read.updateSim(ctx.manager, p.iccid, { msisdn: p.msisdn });
    await this.read.updateMsisdn(ctx.manager, p.iccid, p.msisdn);
  }

  @EventPattern(HandsetChanged.type)
  async handsetChanged(@Payload() p: PayloadOf<typeof HandsetChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.read.lockSim(ctx.manager, p.iccid, { carrier: p.carrier, msisdn: p.msisdn });
    await this.read.updateSim(ctx.manager, p.iccid, { imei: p.imei });
  }

  @EventPattern(ContractEnded.type)
  async contractEnded(@Payload() p: PayloadOf<typeof ContractEnded>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    const sim = await this.read.lockSim(m, p.iccid, { carrier: p.carrier, msisdn: p.msisdn });
    if (sim.closedReason === 'contract-ended') return;
    await this.read.closeSim(m, p.iccid, 'contract-ended', new Date(p.at));
    const [phone] = await this.read.phonesOnSim(p.iccid, m);
    await this.flows.contractEnded(m, p, phone);
  }
}
