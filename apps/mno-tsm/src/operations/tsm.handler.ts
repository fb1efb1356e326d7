import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AuditRequested,
  EligibilityRequested,
  ScriptForwardRequested,
  SsdCreationRequested,
  SsdDeletionRequested,
  SsdStatusChangeRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { TsmCommands } from '@jpki/tsm';

/**
 * SP-TSM → MNO-TSM commands (topic `mno.<carrier>.commands`, only envelopes signed by `sp-tsm`
 * reach these handlers), admitted by the shared `TsmCommands`.
 */
@Controller()
export class TsmCommandHandler {
  constructor(private readonly commands: TsmCommands) {}

  @EventPattern(EligibilityRequested.type)
  async eligibility(@Payload() p: PayloadOf<typeof EligibilityRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.start(ctx, 'eligibility', p, { msisdn: p.msisdn });
  }

  @EventPattern(SsdCreationRequested.type)
  async ssdCreation(@Payload() p: PayloadOf<typeof SsdCreationRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.start(ctx, 'ssd-creation', p, { iccid: p.iccid, ssdAid: p.ssdAid });
  }

  @EventPattern(ScriptForwardRequested.type)
  async forward(@Payload() p: PayloadOf<typeof ScriptForwardRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.forward(ctx, p);
  }

  @EventPattern(AuditRequested.type)
  async audit(@Payload() p: PayloadOf<typeof AuditRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.start(ctx, 'audit', p, { iccid: p.iccid });
  }

  @EventPattern(SsdStatusChangeRequested.type)
  async ssdStatus(@Payload() p: PayloadOf<typeof SsdStatusChangeRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    // Lock and unlock always wait for an unreachable card (a lost phone is locked when it next attaches).
    await this.commands.enqueue(ctx, 'ssd-status', p, p.action, true);
  }

  @EventPattern(SsdDeletionRequested.type)
  async ssdDeletion(@Payload() p: PayloadOf<typeof SsdDeletionRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.enqueue(ctx, 'ssd-deletion', p, 'delete', p.queueIfUnreachable);
  }
}
