import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EligibilityRequested, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { TsmCommands } from '@jpki/tsm';
import { carrierForm } from '../carrier-addressing';

/**
 * The SP-TSM's eligibility question about a subscriber (topic `mno.<carrier>.commands`, only envelopes signed by
 * `sp-tsm`); the card operations are the shared handlers of `@jpki/tsm`.
 */
@Controller()
export class EligibilityHandler {
  constructor(private readonly commands: TsmCommands) {}

  @EventPattern(EligibilityRequested.type)
  async eligibility(@Payload() p: PayloadOf<typeof EligibilityRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.commands.startEligibility(ctx, p, { msisdn: carrierForm(p).msisdn });
  }
}
