import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AuditRequested, ScriptForwardRequested, SsdCreationRequested, SsdDeletionRequested, SsdStatusChangeRequested, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { TsmCommands } from '../operations/tsm-commands';

/**
 * The SP-TSM's card operations on the TSM's command topic (only envelopes signed by `sp-tsm`, and only payloads
 * addressing this TSM's kind of card, reach these handlers), admitted by `TsmCommands`. Eligibility is the app's.
 */
@Controller()
export class TsmCommandHandler {
  constructor(private readonly commands: TsmCommands) {}

  @EventPattern(SsdCreationRequested.type)
  async ssdCreation(@Payload() p: PayloadOf<typeof SsdCreationRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.startOnCard(ctx, 'ssd-creation', p);
  }

  @EventPattern(ScriptForwardRequested.type)
  async forward(@Payload() p: PayloadOf<typeof ScriptForwardRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.forward(ctx, p);
  }

  @EventPattern(AuditRequested.type)
  async audit(@Payload() p: PayloadOf<typeof AuditRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.startOnCard(ctx, 'audit', p);
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
