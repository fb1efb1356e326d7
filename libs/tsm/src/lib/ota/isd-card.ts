import {
  CardStatusError,
  fromHex,
  GpSession,
  hex,
  ScriptStopped,
  SecureChannelError,
  SequenceCounterMismatch,
  type CardScript,
  type CommandApdu,
  type Scp03KeySet,
  type ScriptPart,
  type ScriptTransport,
  type SequenceCounterStore,
} from '@jpki/globalplatform';
import { StepFailure, type SagaData, type StepContext } from '@jpki/saga';
import { CardUnknown, CardUnreachable, type OtaBearer } from './ota-bearer';

/** The card answered with an error status word; the TSM reports it as `CARD_REJECTED` with the SW. */
export class CardRejected extends StepFailure {
  constructor(
    readonly operation: string,
    readonly sw: number,
    retriable = false,
  ) {
    super('CARD_REJECTED', `[SW ${swHex(sw)}] ${operation}`, retriable);
  }
}

export const swHex = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** The status word a failure detail carries (`[SW 6A80] …`), if any. */
export function statusWordOf(detail: string | undefined): string | undefined {
  return /^\[SW ([0-9A-F]{4})\]/.exec(detail ?? '')?.[1];
}

/** Scripts of one step attempt: `<saga>/<step>/a<attempt>/s<n>`, unique per attempt, stable across re-sends. */
export class ScriptIds {
  private n = 0;
  constructor(private readonly base: string) {}
  static forAttempt(ctx: StepContext<SagaData>, step: string): ScriptIds {
    return new ScriptIds(`${ctx.sagaId}/${step}/a${ctx.attempt}`);
  }
  next(): string {
    this.n += 1;
    return `${this.base}/s${this.n}`;
  }
}

/** Scripts over the OTA bearer from a saga step: `unreachable` and `unknown-sim` fail the step. */
export function otaScripts(bearer: OtaBearer, ctx: StepContext<SagaData>, seid: string, ids: ScriptIds): ScriptTransport {
  return async (apdus) => {
    const reply = await bearer.roundTrip(ctx, ids.next(), seid, apdus.map((a) => hex(a)));
    if (reply.outcome === 'unreachable') throw new CardUnreachable(seid);
    if (reply.outcome === 'unknown-sim') throw new CardUnknown(seid);
    return reply.responses.map((r) => fromHex(r));
  };
}

/** A session with the ISD planned in a script: `commands` wrapped, `longLastResponse` adds the GET RESPONSE. */
export type IsdSessionPlan = (commands: readonly CommandApdu[], longLastResponse?: boolean) => ScriptPart;

/**
 * The TSM's card operations through the ISD, each one OTA script (see `GpSession`): the TSM is the only holder
 * of the ISD keys, so it knows the sequence counter. Card refusals become `CardRejected`, integrity failures
 * `SECURE_CHANNEL_ERROR`.
 */
export class IsdCard {
  private readonly scripts: GpSession;

  constructor(transport: ScriptTransport, readonly isdAid: Buffer, keys: Scp03KeySet, securityLevel: number, counter: SequenceCounterStore) {
    this.scripts = new GpSession(transport, isdAid, keys, { securityLevel }, counter);
  }

  /** Plain commands and an INITIALIZE UPDATE: the card proves it holds this card's ISD keys, the TSM learns the counter. */
  authenticateCard(plainBefore: readonly CommandApdu[]): Promise<Buffer[]> {
    return this.scripts.authenticateCard(plainBefore).catch(rethrowAsStepFailure);
  }

  /**
   * One script: SELECT ISD, then `plan` adds sessions and other parts. When the card stops the script, `stopped` may
   * turn that into a result (e.g. 6A88: already gone); otherwise it is refused.
   */
  async run<T>(plan: (script: CardScript, session: IsdSessionPlan) => T, stopped?: (stop: ScriptStopped) => Promise<T | undefined>): Promise<T> {
    try {
      return await this.scripts.run((script, session) => {
        script.select(this.isdAid);
        return plan(script, (commands, long) => session(this.isdAid, commands, long));
      });
    } catch (err) {
      const recovered = err instanceof ScriptStopped && stopped ? await stopped(err) : undefined;
      if (recovered !== undefined) return recovered;
      return rethrowAsStepFailure(err);
    }
  }
}

/** The name of a refused command in a failure detail: `INS E6` and so on. */
export function operationOf(err: CardStatusError): string {
  return err.message.replace(/ failed:.*$/, '');
}

function rethrowAsStepFailure(err: unknown): never {
  // 6985 to INITIALIZE UPDATE / EXTERNAL AUTHENTICATE: the session was lost between commands; a new attempt opens anew.
  if (err instanceof CardStatusError) throw new CardRejected(operationOf(err), err.sw, err.sw === SESSION_LOST);
  // A counter we did not predict twice over, a wrong cryptogram or R-MAC: the wrong card, or someone in between.
  if (err instanceof SequenceCounterMismatch) throw new StepFailure('SECURE_CHANNEL_ERROR', err.message);
  if (err instanceof SecureChannelError) throw new StepFailure('CARD_AUTHENTICATION_FAILED', err.message, false);
  throw err;
}

const SESSION_LOST = 0x6985;
