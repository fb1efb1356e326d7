import { aesEcbEncrypt } from './aes';

const ONES = Buffer.alloc(16, 0x01);

/** AES key check value: first 3 bytes of AES(key, 16×01) (Amd D §7.2.2). */
export function kcvAes(key: Uint8Array): Buffer {
  return aesEcbEncrypt(key, ONES).subarray(0, 3);
}
