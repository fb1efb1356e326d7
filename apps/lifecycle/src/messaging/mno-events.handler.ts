import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { ContractEnded, HandsetChanged, MsisdnChanged, SimSwapped, mnoTsmOf, type Carrier, type PayloadOf } from '@jpki/contracts';
import { NonRetriableError, type MessageContext } from '@jpki/messaging';
import { ReadModel, type SimRow } from '../domain/read-model';
import { SystemFlows } from '../flows/system-flows';

/**
 * The carriers' notifications (`mno.<carrier>.events`). A handset change moves the SIM, and the applet with it, to
 * another handset: the certificate is bound to the SIM, nothing to do but record it. An MSISDN change updates the
 * phone's binding (used for renewals). A SIM swap and a contract end open cases.
 *
 * A carrier speaks only for its own SIMs. The inbox already holds each notification to its carrier's topic and MNO-TSM;
 * here a SIM this service knows as another carrier's (from the CA's device binding or an earlier notification) is
 * refused: dead letter CARRIER_MISMATCH, nothing recorded, no case.
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
    const old = await this.lockOwnSim(m, p.oldIccid, p.carrier);
    if (old.closedAt) return;
    await this.read.closeSim(m, p.oldIccid, 'sim-swapped', new Date(p.at), p.newIccid);
    await this.lockOwnSim(m, p.newIccid, p.carrier, p.msisdn);
    await this.flows.simSwapped(m, p);
  }

  @EventPattern(MsisdnChanged.type)
  async msisdnChanged(@Payload() p: PayloadOf<typeof MsisdnChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.lockOwnSim(ctx.manager, p.iccid, p.carrier);
    await this.read.updateSim(ctx.manager, p.iccid, { msisdn: p.msisdn });
    await this.read.updateMsisdn(ctx.manager, p.iccid, p.msisdn);
  }

  @EventPattern(HandsetChanged.type)
  async handsetChanged(@Payload() p: PayloadOf<typeof HandsetChanged>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.lockOwnSim(ctx.manager, p.iccid, p.carrier, p.msisdn);
    await this.read.updateSim(ctx.manager, p.iccid, { imei: p.imei });
  }

  @EventPattern(ContractEnded.type)
  async contractEnded(@Payload() p: PayloadOf<typeof ContractEnded>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    const sim = await this.lockOwnSim(m, p.iccid, p.carrier, p.msisdn);
    if (sim.closedReason === 'contract-ended') return;
    await this.read.closeSim(m, p.iccid, 'contract-ended', new Date(p.at));
    const [phone] = await this.read.phonesOnSim(p.iccid, m);
    await this.flows.contractEnded(m, p, phone);
  }

  /**
   * Locks the SIM (recording what the carrier says about it) after refusing a notification about a SIM known as another
   * carrier's: its own row, or a phone on it.
   */
  private async lockOwnSim(m: EntityManager, iccid: string, carrier: Carrier, msisdn?: string): Promise<SimRow> {
    const sim = await this.read.lockSim(m, iccid);
    const phones = await this.read.phonesOnSim(iccid, m);
    const other = [sim.carrier, ...phones.map((phone) => phone.carrier)].find((c) => c && c !== carrier);
    if (other) throw new NonRetriableError('CARRIER_MISMATCH', `SIM ${iccid} is a ${other} SIM: ${mnoTsmOf(carrier)} may not speak for it`);
    return this.read.lockSim(m, iccid, { carrier, msisdn });
  }
}
