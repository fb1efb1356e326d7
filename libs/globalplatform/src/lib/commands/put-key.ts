import { randomBytes } from 'node:crypto';
import { CommandApdu } from '../apdu/command-apdu';
import { ByteReader } from '../bytes';
import { aesCbcDecrypt, aesCbcEncrypt, AES_BLOCK } from '../crypto/aes';
import { kcvAes } from '../crypto/kcv';
import { SwError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { sameBytes } from '../scp03/scp03-crypto';
import { Sw } from '../status-words';
import { encodeBerLength } from '../tlv/ber-tlv';
import { GP_CLA, Ins } from './instructions';

export const KeyType = { AES: 0x88 } as const;

const MORE_COMMANDS = 0x80;
const MULTIPLE_KEYS = 0x80;
const FIRST_KEY_ID = 0x01;
const KCV_LENGTH = 3;

export interface PutKeyCommand {
  /** 00 adds a keyset, otherwise the KVN being replaced. */
  readonly replaceKvn: number;
  readonly keys: Scp03KeySet;
}

/** Encrypts a key under the static DEK (AES-CBC, zero ICV); AES-192 keys get 8 arbitrary pad bytes (Amd D §6.2.8). */
export function encryptKeyUnderDek(key: Buffer, dek: Buffer): Buffer {
  const padded = key.length % AES_BLOCK === 0 ? key : Buffer.concat([key, randomBytes(AES_BLOCK - (key.length % AES_BLOCK))]);
  return aesCbcEncrypt(dek, padded);
}

/** Key data field: 88 ‖ L ‖ key length ‖ E_DEK(key) ‖ 03 ‖ KCV (GPC Tables 11-68 and 11-70). */
export function buildAesKeyBlock(key: Buffer, dek: Buffer): Buffer {
  const component = Buffer.concat([Buffer.from([key.length]), encryptKeyUnderDek(key, dek)]);
  return Buffer.concat([
    Buffer.from([KeyType.AES]),
    encodeBerLength(component.length),
    component,
    Buffer.from([KCV_LENGTH]),
    kcvAes(key),
  ]);
}

/** PUT KEY of a whole SCP03 keyset (key ids 1-3, P2=81) under the static DEK of the current keyset. */
export function buildPutKey(newKeys: Scp03KeySet, dek: Buffer, replaceKvn = 0): CommandApdu {
  const data = Buffer.concat([
    Buffer.from([newKeys.kvn]),
    buildAesKeyBlock(newKeys.enc, dek),
    buildAesKeyBlock(newKeys.mac, dek),
    buildAesKeyBlock(newKeys.dek, dek),
  ]);
  return new CommandApdu(GP_CLA, Ins.PUT_KEY, replaceKvn, MULTIPLE_KEYS | FIRST_KEY_ID, data);
}

/** Card side: decrypts and checks the three key blocks. Format errors → 6A80, KCV mismatch → 6982. */
export function parsePutKey(command: CommandApdu, dek: Buffer): PutKeyCommand {
  if ((command.p1 & MORE_COMMANDS) !== 0 || command.p2 !== (MULTIPLE_KEYS | FIRST_KEY_ID)) {
    throw new SwError(Sw.INCORRECT_P1P2, 'only a whole keyset in one PUT KEY (P2=81) is supported');
  }
  const reader = new ByteReader(command.data);
  const newKvn = reader.u8();
  if (newKvn < 0x01 || newKvn > 0x7f) {
    throw new SwError(Sw.WRONG_DATA, `new KVN ${newKvn.toString(16)} outside 01-7F`);
  }
  const keys = [parseAesKeyBlock(reader, dek), parseAesKeyBlock(reader, dek), parseAesKeyBlock(reader, dek)];
  reader.expectEnd();
  if (keys.some((key) => key.length !== keys[0].length)) {
    throw new SwError(Sw.WRONG_DATA, 'keys of one keyset must have the same length');
  }
  return { replaceKvn: command.p1, keys: new Scp03KeySet(newKvn, keys[0], keys[1], keys[2]) };
}

export function parseAesKeyBlock(reader: ByteReader, dek: Buffer): Buffer {
  if (reader.u8() !== KeyType.AES) {
    throw new SwError(Sw.WRONG_DATA, 'only AES key blocks (88) are supported');
  }
  const component = reader.berLv();
  const key = decryptComponent(component, dek);
  const kcvLength = reader.u8();
  if (kcvLength !== KCV_LENGTH) {
    throw new SwError(Sw.WRONG_DATA, 'AES keys need a 3-byte KCV');
  }
  if (!sameBytes(reader.take(KCV_LENGTH), kcvAes(key))) {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'key check value mismatch');
  }
  return key;
}

/** Component with a length prefix when padded (Table 11-70), or the bare ciphertext (Table 11-71). */
function decryptComponent(component: Buffer, dek: Buffer): Buffer {
  const prefixed = component.length % AES_BLOCK !== 0;
  const keyLength = prefixed ? component[0] : component.length;
  const ciphertext = prefixed ? component.subarray(1) : component;
  if (![16, 24, 32].includes(keyLength) || ciphertext.length % AES_BLOCK !== 0 || ciphertext.length < keyLength) {
    throw new SwError(Sw.WRONG_DATA, `malformed AES key component of ${component.length} bytes`);
  }
  return aesCbcDecrypt(dek, ciphertext).subarray(0, keyLength);
}

/** PUT KEY response data: the new KVN followed by the KCVs. */
export function encodePutKeyResponse(keys: Scp03KeySet): Buffer {
  const kcvs = keys.kcvs();
  return Buffer.concat([Buffer.from([keys.kvn]), kcvs.enc, kcvs.mac, kcvs.dek]);
}
