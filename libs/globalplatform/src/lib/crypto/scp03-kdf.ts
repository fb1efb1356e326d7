import { u16 } from '../bytes';
import { GpError } from '../errors';
import { aesCmac } from './aes-cmac';

/** Derivation constants, GP Amendment D Table 4-1. */
export const Scp03DerivationConstant = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/**
 * SP 800-108 KDF in counter mode with AES-CMAC as PRF, in the fixed SCP03 input order (Amd D §4.1.5):
 * 11×00 ‖ constant ‖ 00 ‖ L (2 bytes, bits) ‖ i (1 byte) ‖ context.
 */
export function scp03Kdf(key: Uint8Array, constant: number, context: Uint8Array, bits: number): Buffer {
  if (bits <= 0 || bits % 8 !== 0 || bits > 0xffff) {
    throw new GpError(`invalid KDF output length: ${bits} bits`);
  }
  const label = Buffer.concat([Buffer.alloc(11), Buffer.from([constant, 0x00]), u16(bits)]);
  const blocks: Buffer[] = [];
  for (let i = 1; blocks.length * 128 < bits; i++) {
    blocks.push(aesCmac(key, Buffer.concat([label, Buffer.from([i]), context])));
  }
  return Buffer.concat(blocks).subarray(0, bits / 8);
}
