import { randomBytes } from 'node:crypto';
import { CommandApdu } from '../apdu/command-apdu';
import { claForMac, claHasSecureMessaging, claWithSecureMessaging } from '../apdu/cla';
import { ResponseApdu } from '../apdu/response-apdu';
import { aesCbcDecrypt, aesCbcEncrypt } from '../crypto/aes';
import { pad80, unpad80 } from '../crypto/padding';
import { SecureChannelError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Sw } from '../status-words';
import { encodeInitializeUpdateResponse, SCP03_ID } from './initialize-update';
import {
  cardCryptogram,
  commandIcv,
  commandMac,
  deriveSessionKeys,
  hostCryptogram,
  pseudoRandomCardChallenge,
  responseIcv,
  responseMac,
  sameBytes,
  Scp03SessionKeys,
} from './scp03-crypto';
import {
  DEFAULT_SCP03_I,
  hasSecurity,
  isLevelSupportedByI,
  isValidSecurityLevel,
  Scp03Option,
  Scp03SMode,
  SecurityLevel,
  SecurityLevelBit,
  sModeOf,
} from './security-level';

export type Scp03CardSessionState = 'initialized' | 'authenticated' | 'aborted';

export interface Scp03InitializeUpdateParams {
  readonly keys: Scp03KeySet;
  readonly kdd: Buffer;
  /** The already incremented sequence counter of the keyset (Amd D §6.2.2.1); the caller persists it. */
  readonly sequenceCounter: number;
  /** AID of the application invoking the secure channel (the SD, or an applet using its SD's channel). */
  readonly aid: Buffer;
  readonly hostChallenge: Buffer;
  /** The SD's SCP03 options; bit 01 selects S16 mode. */
  readonly i?: number;
}

/**
 * Card side of one SCP03 session: answers INITIALIZE UPDATE, verifies EXTERNAL AUTHENTICATE, then unwraps commands
 * and wraps responses at the established security level. Any security failure aborts the session for good.
 */
export class Scp03CardSession {
  private currentState: Scp03CardSessionState = 'initialized';
  private level: number = SecurityLevel.NO_SECURITY_LEVEL;
  private chainingValue: Buffer = Buffer.alloc(16);
  private encryptionCounter = 0;
  private readonly sMode: Scp03SMode;

  private constructor(
    private readonly keys: Scp03SessionKeys,
    readonly i: number,
    private readonly hostChallenge: Buffer,
    private readonly cardChallenge: Buffer,
  ) {
    this.sMode = sModeOf(i);
  }

  /** Computes the INITIALIZE UPDATE response data and the pending session. */
  static initializeUpdate(params: Scp03InitializeUpdateParams): { session: Scp03CardSession; response: Buffer } {
    const i = params.i ?? DEFAULT_SCP03_I;
    const sMode = sModeOf(i);
    if (params.hostChallenge.length !== sMode) {
      throw new SecureChannelError(`host challenge must be ${sMode} bytes in S${sMode} mode`, Sw.WRONG_LENGTH);
    }
    const pseudoRandom = hasSecurity(i, Scp03Option.PSEUDO_RANDOM_CHALLENGE);
    const cardChallenge = pseudoRandom
      ? pseudoRandomCardChallenge(params.keys.enc, params.sequenceCounter, params.aid, sMode)
      : randomBytes(sMode);
    const keys = deriveSessionKeys(params.keys, params.hostChallenge, cardChallenge);
    const session = new Scp03CardSession(keys, i, params.hostChallenge, cardChallenge);
    const response = encodeInitializeUpdateResponse({
      kdd: params.kdd,
      kvn: params.keys.kvn,
      scpId: SCP03_ID,
      i,
      cardChallenge,
      cardCryptogram: cardCryptogram(keys.sMac, params.hostChallenge, cardChallenge),
      sequenceCounter: pseudoRandom ? params.sequenceCounter : undefined,
    });
    return { session, response };
  }

  get state(): Scp03CardSessionState {
    return this.currentState;
  }

  get isAuthenticated(): boolean {
    return this.currentState === 'authenticated';
  }

  /** The Current Security Level: NO_SECURITY_LEVEL unless authenticated (GPC §10.2.3). */
  get securityLevel(): number {
    return this.isAuthenticated ? this.level : SecurityLevel.NO_SECURITY_LEVEL;
  }

  /** Returns the SW to answer: 9000, 6300 (host cryptogram), 6982 (C-MAC) or a parameter error. */
  externalAuthenticate(command: CommandApdu): number {
    if (this.currentState !== 'initialized') {
      return this.fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED);
    }
    const level = command.p1;
    if (!claHasSecureMessaging(command.cla)) {
      return this.fail(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }
    if (command.p2 !== 0 || !isValidSecurityLevel(level) || !isLevelSupportedByI(level, this.i)) {
      return this.fail(Sw.INCORRECT_P1P2);
    }
    if (command.data.length !== 2 * this.sMode) {
      return this.fail(Sw.WRONG_LENGTH);
    }
    const cryptogram = command.data.subarray(0, this.sMode);
    if (!sameBytes(cryptogram, hostCryptogram(this.keys.sMac, this.hostChallenge, this.cardChallenge))) {
      return this.fail(Sw.VERIFICATION_FAILED);
    }
    const mac = this.computeCommandMac(command, cryptogram, Buffer.alloc(16));
    if (!sameBytes(command.data.subarray(this.sMode), mac.subarray(0, this.sMode))) {
      return this.fail(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }
    this.chainingValue = mac;
    this.level = level;
    this.currentState = 'authenticated';
    return Sw.OK;
  }

  /** Verifies the C-MAC and decrypts C-ENC; returns the plain command (CLA without secure messaging). */
  unwrapCommand(command: CommandApdu): CommandApdu {
    if (!this.isAuthenticated) {
      throw new SecureChannelError('no authenticated secure channel');
    }
    this.encryptionCounter += 1;
    const secured = claHasSecureMessaging(command.cla);
    if (!hasSecurity(this.level, SecurityLevelBit.C_MAC)) {
      return secured ? this.abortWith('secure messaging outside a C-MAC session') : command;
    }
    if (!secured || command.data.length < this.sMode) {
      return this.abortWith('command below the session security level');
    }
    const body = command.data.subarray(0, -this.sMode);
    const mac = this.computeCommandMac(command, body, this.chainingValue);
    if (!sameBytes(command.data.subarray(-this.sMode), mac.subarray(0, this.sMode))) {
      return this.abortWith('C-MAC mismatch');
    }
    this.chainingValue = mac;
    const data = this.decryptCommandData(body);
    return command.with({ cla: claWithSecureMessaging(command.cla, false), data, extended: false });
  }

  /** Applies R-ENC and R-MAC as established; error status words are returned bare. */
  wrapResponse(response: ResponseApdu): ResponseApdu {
    if (!response.isSuccessOrWarning) {
      return ResponseApdu.status(response.sw);
    }
    if (!this.isAuthenticated || !hasSecurity(this.level, SecurityLevelBit.R_MAC)) {
      return response;
    }
    const data = this.encryptResponseData(response.data);
    return new ResponseApdu(Buffer.concat([data, responseMac(this.keys.sRmac, this.chainingValue, data, response.sw, this.sMode)]), response.sw);
  }

  abort(): void {
    this.currentState = 'aborted';
    this.level = SecurityLevel.NO_SECURITY_LEVEL;
  }

  private fail(sw: number): number {
    this.abort();
    return sw;
  }

  private abortWith(reason: string): never {
    this.abort();
    throw new SecureChannelError(reason);
  }

  private computeCommandMac(command: CommandApdu, body: Buffer, chainingValue: Buffer): Buffer {
    const header = Buffer.from([claForMac(command.cla), command.ins, command.p1, command.p2]);
    return commandMac(this.keys.sMac, chainingValue, header, command.encodedLc(), body);
  }

  private decryptCommandData(body: Buffer): Buffer {
    if (!hasSecurity(this.level, SecurityLevelBit.C_DECRYPTION) || body.length === 0) {
      return body;
    }
    try {
      return unpad80(aesCbcDecrypt(this.keys.sEnc, body, commandIcv(this.keys.sEnc, this.encryptionCounter)));
    } catch {
      return this.abortWith('C-ENC decryption failed');
    }
  }

  private encryptResponseData(data: Buffer): Buffer {
    if (!hasSecurity(this.level, SecurityLevelBit.R_ENCRYPTION) || data.length === 0) {
      return data;
    }
    return aesCbcEncrypt(this.keys.sEnc, pad80(data), responseIcv(this.keys.sEnc, this.encryptionCounter));
  }
}
