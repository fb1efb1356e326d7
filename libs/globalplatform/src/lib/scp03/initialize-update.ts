import { ByteReader } from '../bytes';
import { CommandApdu } from '../apdu/command-apdu';
import { GP_CLA, Ins } from '../commands/instructions';
import { SecureChannelError } from '../errors';
import { encodeSequenceCounter, SCP03_CHALLENGE_LENGTH } from './scp03-crypto';
import { hasSecurity, Scp03Option } from './security-level';

export const SCP03_ID = 0x03;
export const KDD_LENGTH = 10;

/** INITIALIZE UPDATE response data, S8 mode (Amd D Table 7-2). */
export interface InitializeUpdateResponse {
  readonly kdd: Buffer;
  readonly kvn: number;
  readonly scpId: number;
  readonly i: number;
  readonly cardChallenge: Buffer;
  readonly cardCryptogram: Buffer;
  readonly sequenceCounter?: number;
}

export function buildInitializeUpdate(kvn: number, hostChallenge: Buffer): CommandApdu {
  if (hostChallenge.length !== SCP03_CHALLENGE_LENGTH) {
    throw new SecureChannelError(`host challenge must be ${SCP03_CHALLENGE_LENGTH} bytes`);
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
  const cardChallenge = reader.take(SCP03_CHALLENGE_LENGTH);
  const cardCryptogram = reader.take(SCP03_CHALLENGE_LENGTH);
  const sequenceCounter = hasSecurity(i, Scp03Option.PSEUDO_RANDOM_CHALLENGE) ? reader.take(3).readUIntBE(0, 3) : undefined;
  reader.expectEnd();
  return { kdd, kvn, scpId, i, cardChallenge, cardCryptogram, sequenceCounter };
}
