import { randomBytes } from 'node:crypto';
import { CommandApdu } from '../apdu/command-apdu';
import { claForMac, claWithLogicalChannel, claWithSecureMessaging } from '../apdu/cla';
import { ResponseApdu } from '../apdu/response-apdu';
import { GP_CLA, Ins } from '../commands/instructions';
import { CardStatusError, SecureChannelError, SequenceCounterMismatch } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { buildInitializeUpdate, InitializeUpdateResponse, parseInitializeUpdateResponse, SCP03_ID } from './initialize-update';
import {
  cardCryptogram,
  commandMac,
  deriveSessionKeys,
  hostCryptogram,
  pseudoRandomCardChallenge,
  sameBytes,
  Scp03SessionKeys,
} from './scp03-crypto';
import { Scp03Wrapper } from './scp03-wrapper';
import { hasSecurity, isValidSecurityLevel, Scp03Option, Scp03SMode, sModeOf } from './security-level';

/** Supplies the static keyset once the card has told its KDD and KVN (e.g. KDF3 diversification). */
export type Scp03KeyProvider = (kdd: Buffer, kvn: number) => Scp03KeySet;

export interface Scp03HostSessionOptions {
  readonly keys: Scp03KeySet | Scp03KeyProvider;
  readonly securityLevel: number;
  /** KVN for INITIALIZE UPDATE P1; defaults to the keyset's KVN, or 00 (first available) with a provider. */
  readonly kvn?: number;
  /** S8 (default) or S16; must match the i parameter of the card's security domain. */
  readonly sMode?: Scp03SMode;
  /** Injectable for tests; random otherwise. */
  readonly hostChallenge?: Buffer;
  readonly logicalChannel?: number;
  /** AID the card uses for pseudo-random challenges; when given, the card challenge is verified too. */
  readonly challengeAid?: Buffer;
}

interface Authenticated {
  readonly staticKeys: Scp03KeySet;
  readonly sessionKeys: Scp03SessionKeys;
  readonly cardResponse: InitializeUpdateResponse;
}

/** Host side of SCP03 explicit initiation: INITIALIZE UPDATE, card verification, EXTERNAL AUTHENTICATE. */
export class Scp03HostSession {
  private readonly sMode: Scp03SMode;
  private readonly hostChallenge: Buffer;
  private authenticated?: Authenticated;
  private wrapper?: Scp03Wrapper;

  constructor(private readonly options: Scp03HostSessionOptions) {
    if (!isValidSecurityLevel(options.securityLevel)) {
      throw new SecureChannelError(`invalid security level ${options.securityLevel.toString(16)}`);
    }
    this.sMode = options.sMode ?? 8;
    this.hostChallenge = options.hostChallenge ?? randomBytes(this.sMode);
    if (this.hostChallenge.length !== this.sMode) {
      throw new SecureChannelError(`host challenge must be ${this.sMode} bytes in S${this.sMode} mode`);
    }
  }

  get staticKeys(): Scp03KeySet {
    return this.requireAuthenticated().staticKeys;
  }

  buildInitializeUpdate(): CommandApdu {
    const keys = this.options.keys;
    const kvn = this.options.kvn ?? (keys instanceof Scp03KeySet ? keys.kvn : 0);
    return this.onChannel(buildInitializeUpdate(kvn, this.hostChallenge));
  }

  /** Verifies the card cryptogram (and the pseudo-random challenge when `challengeAid` is known). */
  checkInitializeUpdateResponse(response: ResponseApdu): InitializeUpdateResponse {
    const cardResponse = this.parseResponse(response);
    const staticKeys = this.resolveKeys(cardResponse);
    const sessionKeys = deriveSessionKeys(staticKeys, this.hostChallenge, cardResponse.cardChallenge);
    const expected = cardCryptogram(sessionKeys.sMac, this.hostChallenge, cardResponse.cardChallenge);
    if (!sameBytes(expected, cardResponse.cardCryptogram)) {
      throw new SecureChannelError('card cryptogram mismatch: wrong keys, do not retry blindly');
    }
    this.checkPseudoRandomChallenge(staticKeys, cardResponse);
    this.authenticated = { staticKeys, sessionKeys, cardResponse };
    return cardResponse;
  }

  /**
   * Computes the card's answer to INITIALIZE UPDATE ahead (Amd D §6.2.2.1: with the pseudo-random challenge, a host
   * that knows the sequence counter the card will use knows its challenge and cryptogram), so EXTERNAL AUTHENTICATE
   * and the wrapped commands can travel in the same script. `confirmPrediction` checks the card's real answer.
   */
  predictInitializeUpdateResponse(sequenceCounter: number): void {
    const { keys, challengeAid } = this.options;
    if (!(keys instanceof Scp03KeySet) || !challengeAid) {
      throw new SecureChannelError('a predicted session needs the static keyset and the AID of the challenge');
    }
    const cardChallenge = pseudoRandomCardChallenge(keys.enc, sequenceCounter, challengeAid, this.sMode);
    const sessionKeys = deriveSessionKeys(keys, this.hostChallenge, cardChallenge);
    const cardResponse: InitializeUpdateResponse = {
      kdd: Buffer.alloc(0),
      kvn: keys.kvn,
      scpId: SCP03_ID,
      i: Scp03Option.PSEUDO_RANDOM_CHALLENGE,
      cardChallenge,
      cardCryptogram: cardCryptogram(sessionKeys.sMac, this.hostChallenge, cardChallenge),
      sequenceCounter,
    };
    this.authenticated = { staticKeys: keys, sessionKeys, cardResponse };
  }

  /**
   * The card's real answer to a predicted INITIALIZE UPDATE: the same counter, challenge and cryptogram, or the
   * card used another sequence counter (`SequenceCounterMismatch`, carrying it) or other keys (`SecureChannelError`).
   */
  confirmPrediction(response: ResponseApdu): InitializeUpdateResponse {
    const predicted = this.requireAuthenticated().cardResponse;
    const actual = this.parseResponse(response);
    if (actual.sequenceCounter !== predicted.sequenceCounter) {
      throw new SequenceCounterMismatch(predicted.kvn, predicted.sequenceCounter ?? 0, actual.sequenceCounter);
    }
    if (actual.kvn !== predicted.kvn || !sameBytes(actual.cardChallenge, predicted.cardChallenge) || !sameBytes(actual.cardCryptogram, predicted.cardCryptogram)) {
      throw new SecureChannelError('card cryptogram mismatch: wrong keys, do not retry blindly');
    }
    return actual;
  }

  buildExternalAuthenticate(): CommandApdu {
    const { sessionKeys, cardResponse } = this.requireAuthenticated();
    const level = this.options.securityLevel;
    const cryptogram = hostCryptogram(sessionKeys.sMac, this.hostChallenge, cardResponse.cardChallenge);
    const cla = claWithSecureMessaging(GP_CLA);
    const header = Buffer.from([claForMac(cla), Ins.EXTERNAL_AUTHENTICATE, level, 0x00]);
    const lc = Buffer.from([cryptogram.length + this.sMode]);
    const mac = commandMac(sessionKeys.sMac, Buffer.alloc(16), header, lc, cryptogram);
    this.wrapper = new Scp03Wrapper(sessionKeys, level, mac, this.sMode);
    const data = Buffer.concat([cryptogram, mac.subarray(0, this.sMode)]);
    return this.onChannel(new CommandApdu(cla, Ins.EXTERNAL_AUTHENTICATE, level, 0x00, data));
  }

  /**
   * The wrapper for commands sent in the same script as EXTERNAL AUTHENTICATE (one OTA round trip);
   * the caller still checks the card's answer to EXTERNAL AUTHENTICATE with `confirmExternalAuthenticate`.
   */
  pendingWrapper(): Scp03Wrapper {
    if (!this.wrapper) {
      throw new SecureChannelError('EXTERNAL AUTHENTICATE was not built');
    }
    return this.wrapper;
  }

  /** Returns the wrapper for the session once the card has accepted EXTERNAL AUTHENTICATE. */
  confirmExternalAuthenticate(response: ResponseApdu): Scp03Wrapper {
    if (!response.isOk) {
      throw new CardStatusError('EXTERNAL AUTHENTICATE', response.sw);
    }
    if (!this.wrapper) {
      throw new SecureChannelError('EXTERNAL AUTHENTICATE was not built');
    }
    return this.wrapper;
  }

  private parseResponse(response: ResponseApdu): InitializeUpdateResponse {
    if (!response.isOk) {
      throw new CardStatusError('INITIALIZE UPDATE', response.sw);
    }
    const cardResponse = parseInitializeUpdateResponse(response.data);
    if (sModeOf(cardResponse.i) !== this.sMode) {
      throw new SecureChannelError(`card answered in S${sModeOf(cardResponse.i)} mode, host asked for S${this.sMode}`);
    }
    return cardResponse;
  }

  private resolveKeys(cardResponse: InitializeUpdateResponse): Scp03KeySet {
    const keys = this.options.keys;
    const resolved = keys instanceof Scp03KeySet ? keys : keys(cardResponse.kdd, cardResponse.kvn);
    if (resolved.kvn !== cardResponse.kvn && resolved.kvn !== 0) {
      throw new SecureChannelError(`card used KVN ${cardResponse.kvn.toString(16)}, keys are ${resolved.kvn.toString(16)}`);
    }
    return resolved;
  }

  private checkPseudoRandomChallenge(keys: Scp03KeySet, cardResponse: InitializeUpdateResponse): void {
    const aid = this.options.challengeAid;
    if (!aid || !hasSecurity(cardResponse.i, Scp03Option.PSEUDO_RANDOM_CHALLENGE)) {
      return;
    }
    const expected = pseudoRandomCardChallenge(keys.enc, cardResponse.sequenceCounter ?? 0, aid, this.sMode);
    if (!sameBytes(expected, cardResponse.cardChallenge)) {
      throw new SecureChannelError('pseudo-random card challenge mismatch');
    }
  }

  private requireAuthenticated(): Authenticated {
    if (!this.authenticated) {
      throw new SecureChannelError('INITIALIZE UPDATE response not checked yet');
    }
    return this.authenticated;
  }

  private onChannel(command: CommandApdu): CommandApdu {
    return command.with({ cla: claWithLogicalChannel(command.cla, this.options.logicalChannel ?? 0) });
  }
}
