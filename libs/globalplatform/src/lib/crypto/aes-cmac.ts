import { AES_BLOCK, aesCbcEncrypt, aesEcbEncrypt } from './aes';

const RB = 0x87;

/** Doubling in GF(2^128) used to derive the CMAC subkeys (SP 800-38B §6.1). */
function double(block: Buffer): Buffer {
  const out = Buffer.alloc(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) {
    out[i] = ((block[i] << 1) | (i + 1 < AES_BLOCK ? block[i + 1] >> 7 : 0)) & 0xff;
  }
  if (block[0] & 0x80) {
    out[AES_BLOCK - 1] ^= RB;
  }
  return out;
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ b[i]));
}

/** AES-CMAC (NIST SP 800-38B), full 16-byte tag. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const k1 = double(aesEcbEncrypt(key, Buffer.alloc(AES_BLOCK)));
  const k2 = double(k1);
  const complete = message.length > 0 && message.length % AES_BLOCK === 0;
  const lastStart = complete ? message.length - AES_BLOCK : message.length - (message.length % AES_BLOCK);
  const head = Buffer.from(message.subarray(0, lastStart));
  const tail = Buffer.from(message.subarray(lastStart));
  const last = complete ? xor(tail, k1) : xor(padTail(tail), k2);
  const cbc = aesCbcEncrypt(key, Buffer.concat([head, last]));
  return cbc.subarray(cbc.length - AES_BLOCK);
}

function padTail(tail: Buffer): Buffer {
  const block = Buffer.alloc(AES_BLOCK);
  tail.copy(block);
  block[tail.length] = 0x80;
  return block;
}
