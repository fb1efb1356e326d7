import { ByteReader } from '../bytes';
import { CommandApdu } from '../apdu/command-apdu';
import { GP_CLA, Ins } from '../commands/instructions';
import { SecureChannelError } from '../errors';
import { encodeSequenceCounter } from './scp03-crypto';
import { hasSecurity, Scp03Option, sModeOf } from './security-level';

export const SCP03_ID = 0x03;
export const KDD_LENGTH = 10;

/** INITIALIZE UPDATE response data (Amd D Table 7-2); challenge and cryptogram are 8 bytes in S8 mode, 16 in S16. */
export interface InitializeUpdateResponse {
  readonly kdd: Buffer;
  readonly kvn: number;
  readonly scpId: number;
  readonly i: number;
  readonly cardChallenge: Buffer;
  readonly cardCryptogram: Buffer;
  readonly sequenceCounter?: number;
}

/** The host challenge's length selects the mode: 8 bytes for S8, 16 for S16. */
export function buildInitializeUpdate(kvn: number, hostChallenge: Buffer): CommandApdu {
  if (hostChallenge.length !== 8 && hostChallenge.length !== 16) {
    throw new SecureChannelError('host challenge must be 8 (S8) or 16 (S16) bytes');
  }
  return new CommandApdu(GP_CLA, Ins.INITIALIZE_UPDATE, kvn, 0x00, hostChallenge, 256);
}

export function encodeInitializeUpdateResponse(response: InitializeUpdateResponse): Buffer {
  const counter = response.sequenceCounter === undefined ? [] : [encodeSequenceCounter(response.sequenceCounter)];
  return Buffer.concat([
    response.kdd,
    Buffer.from([response.kvn, response.scpId, response.i]),
    response.cardChallenge,
    response.cardCryptogram,
    ...counter,
  ]);
}

export function parseInitializeUpdateResponse(data: Buffer): InitializeUpdateResponse {
  const reader = new ByteReader(data);
  const kdd = reader.take(KDD_LENGTH);
  const [kvn, scpId, i] = reader.take(3);
  if (scpId !== SCP03_ID) {
    throw new SecureChannelError(`card answered SCP ${scpId.toString(16)}, expected SCP03`);
  }
  const cardChallenge = reader.take(sModeOf(i));
  const cardCryptogram = reader.take(sModeOf(i));
  const sequenceCounter = hasSecurity(i, Scp03Option.PSEUDO_RANDOM_CHALLENGE) ? reader.take(3).readUIntBE(0, 3) : undefined;
  reader.expectEnd();
  return { kdd, kvn, scpId, i, cardChallenge, cardCryptogram, sequenceCounter };
}
