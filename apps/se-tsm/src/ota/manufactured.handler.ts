import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { seidOf, SimManufactured, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock } from '@jpki/service-kit';
import { EseStore } from '../fleet/secure-element-store';

/** New eSEs (topic `ota.ese.up`, signed by `vsim`); their scripts' answers are the shared `OtaBearerHandler`'s. */
@Controller()
export class EseManufacturedHandler {
  private readonly log = createLogger('ota-up');

  constructor(
    private readonly store: EseStore,
    private readonly clock: Clock,
  ) {}

  @EventPattern(SimManufactured.type)
  async manufactured(@Payload() p: PayloadOf<typeof SimManufactured>, @Ctx() ctx: MessageContext): Promise<void> {
    const seid = seidOf(p);
    if (!(await this.store.activate(ctx.manager, seid, this.clock.now()))) this.log.info({ seid }, 'manufactured eSE is not awaited (unknown or already active)');
  }
}
