import {
  buildGetResponse,
  buildSelect,
  CommandApdu,
  fromHex,
  hex,
  ResponseApdu,
  Scp03HostSession,
  SecureChannelError,
  type Scp03KeySet,
  type Scp03Wrapper,
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

export interface ScriptRun {
  responses: ResponseApdu[];
  /** True when the card stopped before the end of the script (an error status word). */
  stopped: boolean;
}

/**
 * One script at a time over the OTA bearer: sends the APDUs, fails the step on `unreachable` /
 * `unknown-sim`, and completes a final `61xx` with GET RESPONSE scripts.
 */
export class CardScripts {
  constructor(
    private readonly bearer: OtaBearer,
    private readonly ctx: StepContext<SagaData>,
    readonly iccid: string,
    private readonly ids: ScriptIds,
  ) {}

  async send(apdus: Buffer[]): Promise<ResponseApdu[]> {
    const reply = await this.bearer.roundTrip(this.ctx, this.ids.next(), this.iccid, apdus.map((a) => hex(a)));
    if (reply.outcome === 'unreachable') throw new CardUnreachable(this.iccid);
    if (reply.outcome === 'unknown-sim') throw new CardUnknown(this.iccid);
    const responses = reply.responses.map((r) => ResponseApdu.parse(fromHex(r)));
    const last = responses[responses.length - 1];
    if (last && last.sw1 === 0x61 && responses.length === apdus.length) {
      responses[responses.length - 1] = await this.collect(last);
    }
    return responses;
  }

  private async collect(first: ResponseApdu): Promise<ResponseApdu> {
    const chunks = [first.data];
    let current = first;
    while (current.sw1 === 0x61) {
      [current] = await this.send([buildGetResponse(0, current.sw2 || 256).toBytes()]);
      chunks.push(current.data);
    }
    return new ResponseApdu(Buffer.concat(chunks), current.sw);
  }
}

export interface IsdSessionOptions {
  isdAid: Buffer;
  keys: Scp03KeySet | ((kdd: Buffer, kvn: number) => Scp03KeySet);
  kvn: number;
  securityLevel: number;
}

/**
 * An SCP03 session with the card's ISD spread over OTA scripts, the way the MNO-TSM works:
 * script 1 = SELECT ISD [+ plain commands] + INITIALIZE UPDATE; script 2 = EXTERNAL AUTHENTICATE
 * and the first wrapped commands; further scripts continue the session. A script that stops
 * early ends the session (the MAC chain of later commands no longer matches the card's).
 */
export class IsdSession {
  private host?: Scp03HostSession;
  private wrapper?: Scp03Wrapper;
  private broken = false;

  constructor(
    private readonly scripts: CardScripts,
    private readonly options: IsdSessionOptions,
  ) {}

  /** Opens the session; returns the responses of the plain commands sent before INITIALIZE UPDATE. */
  async open(plainBefore: CommandApdu[] = []): Promise<ResponseApdu[]> {
    this.host = new Scp03HostSession({
      keys: this.options.keys,
      kvn: this.options.kvn,
      securityLevel: this.options.securityLevel,
      challengeAid: this.options.isdAid,
    });
    const commands = [buildSelect(this.options.isdAid), ...plainBefore, this.host.buildInitializeUpdate()];
    const responses = await this.scripts.send(commands.map((c) => c.toBytes()));
    const select = responses[0];
    if (!select?.isSuccessOrWarning) throw new CardRejected('SELECT ISD', select?.sw ?? 0x6f00);
    const plain = responses.slice(1, 1 + plainBefore.length);
    plain.forEach((r, i) => {
      if (!r.isSuccessOrWarning) throw new CardRejected(describe(plainBefore[i]), r.sw);
    });
    const iu = responses[commands.length - 1];
    if (!iu) throw new StepFailure('SCRIPT_INCOMPLETE', 'INITIALIZE UPDATE got no response');
    try {
      this.host.checkInitializeUpdateResponse(iu);
    } catch (err) {
      if (err instanceof SecureChannelError) throw new StepFailure('CARD_AUTHENTICATION_FAILED', err.message, false);
      if (!iu.isOk) throw new CardRejected('INITIALIZE UPDATE', iu.sw, iu.sw === 0x6985);
      throw err;
    }
    return plain;
  }

  /**
   * Sends wrapped commands as one script (the first one preceded by EXTERNAL AUTHENTICATE) and
   * returns their unwrapped responses, fewer than the commands when the card stopped.
   */
  async run(commands: CommandApdu[]): Promise<ScriptRun> {
    if (!this.host) throw new Error('session not opened');
    if (this.broken) throw new Error('the session ended when a previous script stopped');
    const first = !this.wrapper;
    const ea = first ? this.host.buildExternalAuthenticate() : undefined;
    // The wrapper exists once EXTERNAL AUTHENTICATE is built; the card's answer to it is checked below.
    const wrapper = (this.wrapper ??= this.host.pendingWrapper());
    const wrapped = commands.map((c) => wrapper.wrap(c).toBytes());
    const responses = await this.scripts.send(ea ? [ea.toBytes(), ...wrapped] : wrapped);
    let rest = responses;
    if (ea) {
      const eaResponse = responses[0];
      if (!eaResponse?.isOk) {
        this.broken = true;
        // A session lost between scripts (card reset, another SELECT) answers 6985/6982: open anew next attempt.
        throw new CardRejected('EXTERNAL AUTHENTICATE', eaResponse?.sw ?? 0x6f00, true);
      }
      rest = responses.slice(1);
    }
    let unwrapped: ResponseApdu[];
    try {
      unwrapped = rest.map((r) => wrapper.unwrap(r));
    } catch (err) {
      this.broken = true;
      throw new StepFailure('SECURE_CHANNEL_ERROR', (err as Error).message);
    }
    const stopped = unwrapped.length < commands.length;
    if (stopped) this.broken = true;
    return { responses: unwrapped, stopped };
  }
}

export function describe(command: CommandApdu): string {
  return `${hex(Buffer.from([command.cla, command.ins, command.p1, command.p2]))}`;
}
