import { CommandApdu } from '../apdu/command-apdu';
import { claWithLogicalChannel } from '../apdu/cla';
import { ResponseApdu } from '../apdu/response-apdu';
import { buildGetResponse, buildSelect } from '../commands/select';
import { CardStatusError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Scp03HostSession, type Scp03KeyProvider } from '../scp03/scp03-host-session';
import { Scp03Wrapper } from '../scp03/scp03-wrapper';
import { SecurityLevel, type Scp03SMode } from '../scp03/security-level';
import { Sw } from '../status-words';

/**
 * Sends several command APDUs as one script (one OTA round trip); the card stops after the first
 * error status word, so there may be fewer responses than commands.
 */
export type ScriptTransport = (commands: Buffer[]) => Promise<Buffer[]>;

/** A secure session planned inside a script: the keyset, and the sequence counter the card will use (last seen + 1). */
export interface PlannedSession {
  readonly keys: Scp03KeySet;
  readonly securityLevel: number;
  readonly sMode?: Scp03SMode;
  readonly sequenceCounter: number;
}

/** What the card answered to one part of a script, once `run` has checked it. */
export interface ScriptPart {
  /** Response data of each command (unwrapped for a secure session). */
  readonly data: Buffer[];
  /** Status word of each command (9000, or a warning such as 6310 "more data"). */
  readonly sws: number[];
  /** The sequence counter the card used for a secure session. */
  readonly sequenceCounter?: number;
}

/** The card stopped the script at `command` with an error status word. */
export class ScriptStopped extends CardStatusError {
  constructor(
    readonly command: CommandApdu,
    sw: number,
  ) {
    super(commandName(command), sw);
  }
}

type Part = { -readonly [K in keyof ScriptPart]: ScriptPart[K] };

interface Planned {
  readonly apdus: Buffer[];
  /** Checks this part's responses (taken from the front of `responses`) and fills `part`. */
  check(responses: ResponseApdu[]): void;
  readonly part: Part;
}

/**
 * One card operation as one script, the way pre-computed OTA scripts travel: SELECTs, plain commands and whole SCP03
 * sessions (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE and the wrapped commands together), possible because the
 * pseudo-random card challenge lets the host compute the card's challenge from the sequence counter. The card's
 * answers are checked in order when they come back: every card cryptogram, every R-MAC, every status word.
 * Whoever forwards the script can neither read the wrapped data nor alter a command without the card refusing it.
 */
export class CardScript {
  private readonly planned: Planned[] = [];

  constructor(private readonly logicalChannel = 0) {}

  /** SELECT [by name]; warnings (6283) pass. */
  select(aid: Buffer): ScriptPart {
    return this.plain([buildSelect(aid)]);
  }

  /** Commands sent as they are (no secure channel). */
  plain(commands: readonly CommandApdu[]): ScriptPart {
    const onChannel = commands.map((c) => this.onChannel(c));
    return this.add(onChannel.map((c) => c.toBytes()), (responses, part) => {
      for (const command of onChannel) record(part, expectOk(command, responses.shift()));
    });
  }

  /**
   * INITIALIZE UPDATE and EXTERNAL AUTHENTICATE with the SD or applet selected just before (`challengeAid`), then the
   * wrapped commands. `longLastResponse`: the last command may answer more than 256 bytes, so a GET RESPONSE follows it.
   */
  session(challengeAid: Buffer, planned: PlannedSession, commands: readonly CommandApdu[], longLastResponse = false): ScriptPart {
    const host = new Scp03HostSession({ ...planned, challengeAid, logicalChannel: this.logicalChannel });
    host.predictInitializeUpdateResponse(planned.sequenceCounter);
    const externalAuthenticate = host.buildExternalAuthenticate();
    const wrapper = host.pendingWrapper();
    const wrapped = commands.map((c) => wrapper.wrap(this.onChannel(c)).toBytes());
    const getResponse = longLastResponse ? [buildGetResponse(this.logicalChannel, 256).toBytes()] : [];
    const apdus = [host.buildInitializeUpdate().toBytes(), externalAuthenticate.toBytes(), ...wrapped, ...getResponse];
    return this.add(apdus, (responses, part) => {
      const initializeUpdate = responses.shift() ?? notExecuted();
      part.sequenceCounter = host.confirmPrediction(initializeUpdate).sequenceCounter;
      host.confirmExternalAuthenticate(responses.shift() ?? notExecuted());
      commands.forEach((command, i) => {
        const last = i === commands.length - 1;
        record(part, unwrapOk(wrapper, command, responses, last && longLastResponse));
      });
    });
  }

  /** INITIALIZE UPDATE alone: authenticates the card by its cryptogram and learns the keyset's sequence counter. */
  initializeUpdate(challengeAid: Buffer, keys: Scp03KeySet | Scp03KeyProvider, options: { kvn?: number; sMode?: Scp03SMode } = {}): ScriptPart {
    const host = new Scp03HostSession({ keys, ...options, securityLevel: SecurityLevel.C_MAC, challengeAid, logicalChannel: this.logicalChannel });
    return this.add([host.buildInitializeUpdate().toBytes()], (responses, part) => {
      part.sequenceCounter = host.checkInitializeUpdateResponse(responses.shift() ?? notExecuted()).sequenceCounter;
    });
  }

  /** The whole script's command APDUs, in order. */
  get apdus(): Buffer[] {
    return this.planned.flatMap((p) => p.apdus);
  }

  /** Sends the script and checks the answers part by part; throws at the first refusal or integrity failure. */
  async run(transport: ScriptTransport): Promise<void> {
    const responses = (await transport(this.apdus)).map((r) => ResponseApdu.parse(r));
    for (const p of this.planned) p.check(responses);
  }

  private add(apdus: Buffer[], check: (responses: ResponseApdu[], part: Part) => void): ScriptPart {
    const part: Part = { data: [], sws: [] };
    this.planned.push({ apdus, part, check: (responses) => check(responses, part) });
    return part;
  }

  private onChannel(command: CommandApdu): CommandApdu {
    return command.with({ cla: claWithLogicalChannel(command.cla, this.logicalChannel) });
  }
}

function record(part: Part, response: ResponseApdu): void {
  part.data.push(response.data);
  part.sws.push(response.sw);
}

function notExecuted(): ResponseApdu {
  return new ResponseApdu(Buffer.alloc(0), Sw.NO_PRECISE_DIAGNOSIS);
}

function expectOk(command: CommandApdu, response: ResponseApdu | undefined): ResponseApdu {
  const r = response ?? notExecuted();
  if (!r.isSuccessOrWarning) throw new ScriptStopped(command, r.sw);
  return r;
}

/** A wrapped command's response, completed by the GET RESPONSE that follows it when the card said 61xx. */
function unwrapOk(wrapper: Scp03Wrapper, command: CommandApdu, responses: ResponseApdu[], followedByGetResponse: boolean): ResponseApdu {
  let response = responses.shift() ?? notExecuted();
  if (followedByGetResponse) {
    const rest = responses.shift();
    if (response.sw1 === 0x61 && rest) response = new ResponseApdu(Buffer.concat([response.data, rest.data]), rest.sw);
  }
  if (response.sw1 === 0x61) throw new ScriptStopped(command, Sw.NO_PRECISE_DIAGNOSIS);
  const plain = wrapper.unwrap(response);
  if (!plain.isSuccessOrWarning) throw new ScriptStopped(command, plain.sw);
  return plain;
}

function commandName(command: CommandApdu): string {
  return `INS ${command.ins.toString(16).toUpperCase().padStart(2, '0')}`;
}
