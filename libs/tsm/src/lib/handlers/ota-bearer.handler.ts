import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OtaScriptCompleted, seidOf, SimReachable, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';
import { OtaQueue } from '../operations/queue';
import { ScriptForwarding } from '../ota/script-forwarding';

/** The cards' answers and their handsets' returns, up the OTA bearer (signed by `vsim`). Manufacturing is the app's. */
@Controller()
export class OtaBearerHandler {
  constructor(
    private readonly sagas: SagaHost,
    private readonly queue: OtaQueue,
    private readonly forwarding: ScriptForwarding,
  ) {}

  /** The response of a script: the reply to a forwarded SP script, or the saga reply under its scriptId (a replayed duplicate is ignored). */
  @EventPattern(OtaScriptCompleted.type)
  async scriptCompleted(@Payload() p: PayloadOf<typeof OtaScriptCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    const { scriptId, outcome, responses } = p;
    if (await this.forwarding.completed(ctx.manager, { scriptId, seid: seidOf(p), outcome, responses })) return;
    await this.sagas.engine.recordReply(ctx.manager, scriptId, OtaScriptCompleted.type, { outcome, responses });
  }

  /** The handset attached again: run what waits in its OTA queue. */
  @EventPattern(SimReachable.type)
  async reachable(@Payload() p: PayloadOf<typeof SimReachable>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.queue.drain(ctx.manager, seidOf(p));
  }
}
