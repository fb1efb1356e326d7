import { timingSafeEqual } from 'node:crypto';
import { aesEcbEncrypt } from '../crypto/aes';
import { aesCmac } from '../crypto/aes-cmac';
import { scp03Kdf, Scp03DerivationConstant } from '../crypto/scp03-kdf';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Scp03SMode } from './security-level';

export const SEQUENCE_COUNTER_MAX = 0xffffff;

export interface Scp03SessionKeys {
  readonly sEnc: Buffer;
  readonly sMac: Buffer;
  readonly sRmac: Buffer;
}

export function deriveSessionKeys(keys: Scp03KeySet, hostChallenge: Buffer, cardChallenge: Buffer): Scp03SessionKeys {
  const context = Buffer.concat([hostChallenge, cardChallenge]);
  const bits = keys.keyLength * 8;
  return {
    sEnc: scp03Kdf(keys.enc, Scp03DerivationConstant.S_ENC, context, bits),
    sMac: scp03Kdf(keys.mac, Scp03DerivationConstant.S_MAC, context, bits),
    sRmac: scp03Kdf(keys.mac, Scp03DerivationConstant.S_RMAC, context, bits),
  };
}

/** Cryptograms are as long as the challenges: 8 bytes in S8 mode, 16 in S16. */
export function cardCryptogram(sMac: Buffer, hostChallenge: Buffer, cardChallenge: Buffer): Buffer {
  return scp03Kdf(sMac, Scp03DerivationConstant.CARD_CRYPTOGRAM, Buffer.concat([hostChallenge, cardChallenge]), hostChallenge.length * 8);
}

export function hostCryptogram(sMac: Buffer, hostChallenge: Buffer, cardChallenge: Buffer): Buffer {
  return scp03Kdf(sMac, Scp03DerivationConstant.HOST_CRYPTOGRAM, Buffer.concat([hostChallenge, cardChallenge]), hostChallenge.length * 8);
}

export function encodeSequenceCounter(counter: number): Buffer {
  return Buffer.from([(counter >> 16) & 0xff, (counter >> 8) & 0xff, counter & 0xff]);
}

/** Amd D §6.2.2.1: KDF(static Key-ENC, 02, sequence counter ‖ AID of the invoking application, 64 or 128 bits). */
export function pseudoRandomCardChallenge(enc: Buffer, sequenceCounter: number, aid: Buffer, sMode: Scp03SMode): Buffer {
  const context = Buffer.concat([encodeSequenceCounter(sequenceCounter), aid]);
  return scp03Kdf(enc, Scp03DerivationConstant.CARD_CHALLENGE, context, sMode * 8);
}

function counterBlock(counter: number): Buffer {
  const block = Buffer.alloc(16);
  block.writeUIntBE(counter, 10, 6);
  return block;
}

export function commandIcv(sEnc: Buffer, counter: number): Buffer {
  return aesEcbEncrypt(sEnc, counterBlock(counter));
}

/** R-ENC ICV: the command counter block with its most significant byte set to 80 (Amd D §6.2.7). */
export function responseIcv(sEnc: Buffer, counter: number): Buffer {
  const block = counterBlock(counter);
  block[0] = 0x80;
  return aesEcbEncrypt(sEnc, block);
}

/** Full 16-byte CMAC over chaining value ‖ CLA' INS P1 P2 Lc' ‖ data; the C-MAC is its first 8 (S8) or all 16 (S16) bytes. */
export function commandMac(sMac: Buffer, chainingValue: Buffer, header: Buffer, encodedLc: Buffer, data: Buffer): Buffer {
  return aesCmac(sMac, Buffer.concat([chainingValue, header, encodedLc, data]));
}

export function responseMac(sRmac: Buffer, chainingValue: Buffer, data: Buffer, sw: number, sMode: Scp03SMode): Buffer {
  const swBytes = Buffer.from([sw >> 8, sw & 0xff]);
  return aesCmac(sRmac, Buffer.concat([chainingValue, data, swBytes])).subarray(0, sMode);
}

/** Constant-time comparison for cryptograms and MACs. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
