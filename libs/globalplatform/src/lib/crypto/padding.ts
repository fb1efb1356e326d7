import { GpError } from '../errors';
import { AES_BLOCK } from './aes';

/** ISO/IEC 9797-1 method 2: append 80 then 00 up to a block multiple (always adds at least one byte). */
export function pad80(data: Uint8Array, blockSize: number = AES_BLOCK): Buffer {
  const padLength = blockSize - (data.length % blockSize);
  const padding = Buffer.alloc(padLength);
  padding[0] = 0x80;
  return Buffer.concat([data, padding]);
}

export function unpad80(data: Uint8Array, blockSize: number = AES_BLOCK): Buffer {
  let index = data.length - 1;
  while (index >= 0 && data[index] === 0x00 && data.length - index <= blockSize) {
    index -= 1;
  }
  if (index < 0 || data[index] !== 0x80 || data.length - index > blockSize) {
    throw new GpError('invalid 80-padding');
  }
  return Buffer.from(data.subarray(0, index));
}
