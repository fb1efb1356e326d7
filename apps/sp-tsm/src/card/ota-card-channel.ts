import { MnoOperationFailed, ScriptForwardRequested, ScriptForwarded, seidOf, type PayloadOf, type SeAddress } from '@jpki/contracts';
import type { ScriptTransport } from '@jpki/globalplatform';
import { StepFailure, type SagaData, type StepContext } from '@jpki/saga';

/**
 * The SP-TSM's path to a card: APDU scripts forwarded over OTA by the TSM that manages it (the carrier's MNO-TSM for a
 * SIM, the SE-management TSM for an eSE). Each script is one request/reply inside the running saga step; script ids are
 * unique per step attempt, so a retried step never reuses a stale response.
 */
export class OtaCardChannel {
  private sequence = 0;

  constructor(
    private readonly ctx: StepContext<SagaData>,
    private readonly step: string,
    private readonly card: SeAddress,
  ) {}

  /** Sends the APDUs as one OTA script; the card stops after the first error status word. */
  readonly script: ScriptTransport = async (apdus) => {
    this.sequence += 1;
    const requestId = `${this.ctx.sagaId}:${this.step}:${this.ctx.attempt}:${this.sequence}`;
    const reply = await this.ctx.request(
      ScriptForwardRequested,
      { requestId, ...this.card, apdus: apdus.map((a) => a.toString('hex').toUpperCase()) },
      requestId,
    );
    if (reply.type === MnoOperationFailed.type) {
      const failed = reply.payload as PayloadOf<typeof MnoOperationFailed>;
      throw new StepFailure(failed.reason, failed.detail ?? `the TSM refused the script (${failed.statusWord ?? 'no SW'})`);
    }
    const forwarded = reply.payload as PayloadOf<typeof ScriptForwarded>;
    if (forwarded.outcome === 'unreachable') throw new StepFailure('SIM_UNREACHABLE', `${seidOf(this.card)} did not answer over OTA`);
    return forwarded.responses.map((r) => Buffer.from(r, 'hex'));
  };
}
