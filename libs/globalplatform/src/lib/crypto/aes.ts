import { createCipheriv, createDecipheriv } from 'node:crypto';
import { GpError } from '../errors';

export const AES_BLOCK = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);

function algorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new GpError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

function requireBlocks(data: Uint8Array): void {
  if (data.length % AES_BLOCK !== 0) {
    throw new GpError(`data length ${data.length} is not a multiple of the AES block`);
  }
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  requireBlocks(data);
  const cipher = createCipheriv(algorithm(key, 'ecb'), key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  requireBlocks(data);
  const cipher = createCipheriv(algorithm(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  requireBlocks(data);
  const decipher = createDecipheriv(algorithm(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}
