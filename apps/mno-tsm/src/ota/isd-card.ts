import {
  CardScript,
  CardStatusError,
  fromHex,
  hex,
  ScriptStopped,
  SecureChannelError,
  SequenceCounterMismatch,
  type CommandApdu,
  type PlannedSession,
  type Scp03KeySet,
  type ScriptPart,
  type ScriptTransport,
} from '@jpki/globalplatform';
import { StepFailure, type SagaData, type StepContext } from '@jpki/saga';
import { CardUnknown, CardUnreachable, type OtaBearer } from './ota-bearer';

/** The card answered with an error status word; the MNO-TSM reports it as `CARD_REJECTED` with the SW. */
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
export function otaScripts(bearer: OtaBearer, ctx: StepContext<SagaData>, iccid: string, ids: ScriptIds): ScriptTransport {
  return async (apdus) => {
    const reply = await bearer.roundTrip(ctx, ids.next(), iccid, apdus.map((a) => hex(a)));
    if (reply.outcome === 'unreachable') throw new CardUnreachable(iccid);
    if (reply.outcome === 'unknown-sim') throw new CardUnknown(iccid);
    return reply.responses.map((r) => fromHex(r));
  };
}

/** Where the MNO-TSM keeps the sequence counter the card last used with its ISD keyset. */
export interface IsdCounter {
  last(): Promise<number | undefined>;
  saw(counter: number): Promise<void>;
}

/** A session with the ISD planned in a script: `commands` wrapped, `longLastResponse` adds the GET RESPONSE. */
export type IsdSessionPlan = (commands: readonly CommandApdu[], longLastResponse?: boolean) => ScriptPart;

/**
 * The MNO's card operations through the ISD, each one OTA script (see `CardScript`): the MNO-TSM is the only holder
 * of the ISD keys, so it knows the sequence counter and sends INITIALIZE UPDATE, EXTERNAL AUTHENTICATE and the
 * wrapped commands together. Card refusals become `CardRejected`, integrity failures `SECURE_CHANNEL_ERROR`.
 */
export class IsdCard {
  constructor(
    private readonly transport: ScriptTransport,
    readonly isdAid: Buffer,
    private readonly keys: Scp03KeySet,
    private readonly securityLevel: number,
    private readonly counter: IsdCounter,
  ) {}

  /** Plain commands and an INITIALIZE UPDATE: the card proves it holds this ICCID's ISD keys, the MNO learns the counter. */
  async authenticateCard(plainBefore: readonly CommandApdu[]): Promise<Buffer[]> {
    const script = new CardScript();
    script.select(this.isdAid);
    const plain = script.plain(plainBefore);
    const initializeUpdate = script.initializeUpdate(this.isdAid, this.keys);
    await script.run(this.transport).catch(rethrowAsStepFailure);
    await this.counter.saw(initializeUpdate.sequenceCounter ?? 0);
    return plain.data;
  }

  /**
   * One script: SELECT ISD, then `plan` adds sessions (each predicted from the last counter) and other parts. When the
   * card stops the script, `stopped` may turn that into a result (e.g. 6A88: already gone); otherwise it is refused.
   */
  async run<T>(plan: (script: CardScript, session: IsdSessionPlan) => T, stopped?: (stop: ScriptStopped) => Promise<T | undefined>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let counter = (await this.counter.last()) ?? (await this.learnCounter());
      const script = new CardScript();
      script.select(this.isdAid);
      const result = plan(script, (commands, long = false) => script.session(this.isdAid, this.planned(++counter), commands, long));
      try {
        await script.run(this.transport);
      } catch (err) {
        if (err instanceof SequenceCounterMismatch && err.actual !== undefined && attempt === 1) {
          await this.counter.saw(err.actual);
          continue;
        }
        const recovered = err instanceof ScriptStopped && stopped ? await stopped(err) : undefined;
        if (recovered !== undefined) return recovered;
        return rethrowAsStepFailure(err);
      }
      await this.counter.saw(counter);
      return result;
    }
  }

  private async learnCounter(): Promise<number> {
    await this.authenticateCard([]);
    return (await this.counter.last()) ?? 0;
  }

  private planned(sequenceCounter: number): PlannedSession {
    return { keys: this.keys, securityLevel: this.securityLevel, sequenceCounter };
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
