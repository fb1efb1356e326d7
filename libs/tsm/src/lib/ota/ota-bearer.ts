import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { counter, createLogger } from '@jpki/observability';
import { StepFailure, type SagaData, type StepContext } from '@jpki/saga';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import { TsmWire, type OtaScript } from '../tsm-wire';

/** A script's result as it comes back up the bearer. */
export interface OtaScriptResult {
  scriptId: string;
  seid: string;
  /** `unreachable`: the handset is off or out of coverage; `unknown-sim`: no such card. */
  outcome: 'executed' | 'unreachable' | 'unknown-sim';
  responses: string[];
}

export type OtaReply = Pick<OtaScriptResult, 'outcome' | 'responses'>;

/** The SIM did not answer because the handset is off or out of coverage. */
export class CardUnreachable extends StepFailure {
  constructor(seid: string) {
    super('SIM_UNREACHABLE', `SIM ${seid} is not reachable over the air`, false);
  }
}

/** The bearer does not know the card (it was never manufactured there). */
export class CardUnknown extends StepFailure {
  constructor(seid: string) {
    super('SIM_UNKNOWN', `the OTA bearer has no SIM ${seid}`, false);
  }
}

/**
 * The TSM side of the OTA bearer, used from saga steps. A script goes down through the `TsmWire` (the MNO-TSM:
 * `ota.script.requested`, through the outbox) and its result is recorded as the saga reply under the scriptId. When
 * no response arrives within the response timeout the same scriptId is sent again (the vSIM executes a scriptId at
 * most once and replays its result), up to `otaMaxSends` sends; then the step attempt fails and the next attempt
 * starts afresh with new scriptIds.
 */
@Injectable()
export class OtaBearer {
  private readonly log = createLogger('ota-bearer');
  private readonly sent = counter('ota_scripts_sent_total', 'OTA scripts sent, by kind of send', ['carrier', 'send']);

  constructor(
    private readonly wire: TsmWire,
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
  ) {}

  /** Sends a script down (through the outbox in the caller's transaction); `send` counts re-sends. */
  async send(m: EntityManager, script: OtaScript, correlationId: string, send: number): Promise<void> {
    await this.wire.sendScript(m, script, correlationId);
    this.sent.inc({ carrier: this.settings.identity, send: send === 1 ? 'first' : 'resend' });
    if (send > 1) this.log.warn({ scriptId: script.scriptId, seid: script.seid, send }, 'no OTA response in time; re-sending the same script');
  }

  async roundTrip(ctx: StepContext<SagaData>, scriptId: string, seid: string, apdus: string[]): Promise<OtaReply> {
    const recorded = await ctx.reply(scriptId);
    if (recorded) return recorded.payload as OtaReply;
    for (let send = 1; send <= this.settings.otaMaxSends; send++) {
      await ctx.transaction((m) => this.send(m, { scriptId, seid, apdus }, ctx.sagaId, send));
      const reply = await ctx.replyWithin(scriptId, this.settings.otaResponseTimeoutMs);
      if (reply) return reply.payload as OtaReply;
    }
    throw new StepFailure('OTA_NO_RESPONSE', `no response to script ${scriptId} after ${this.settings.otaMaxSends} sends`);
  }
}
