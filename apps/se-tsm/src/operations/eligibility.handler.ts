import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EligibilityRequested, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { TsmCommands } from '@jpki/tsm';
import { eseForm } from '../ese-addressing';

/**
 * The SP-TSM's eligibility question about an eSE (topic `se.commands`, only envelopes signed by `sp-tsm` and only
 * payloads naming a `seid`); the card operations are the shared handlers of `@jpki/tsm`.
 */
@Controller()
export class EseEligibilityHandler {
  constructor(private readonly commands: TsmCommands) {}

  @EventPattern(EligibilityRequested.type)
  async eligibility(@Payload() p: PayloadOf<typeof EligibilityRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.startEligibility(ctx, p, { seid: eseForm(p).seid });
  }
}
