import { u16 } from '../bytes';
import { TlvError } from '../errors';

/** Data Grouping Identifier structure (GP Scripting Language / EMV CPS): 2-byte DGI, length 1 byte or FF + 2 bytes. */
export interface Dgi {
  readonly dgi: number;
  readonly value: Buffer;
}

export function encodeDgi(dgi: number, value: Uint8Array): Buffer {
  const length = value.length < 0xff ? Buffer.from([value.length]) : Buffer.concat([Buffer.from([0xff]), u16(value.length)]);
  return Buffer.concat([u16(dgi), length, value]);
}

export function decodeDgis(bytes: Uint8Array): Dgi[] {
  const buffer = Buffer.from(bytes);
  const dgis: Dgi[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 3 > buffer.length) {
      throw new TlvError(`truncated DGI header at ${offset}`);
    }
    const dgi = buffer.readUInt16BE(offset);
    let length = buffer[offset + 2];
    let start = offset + 3;
    if (length === 0xff) {
      if (start + 2 > buffer.length) {
        throw new TlvError(`truncated DGI length at ${offset}`);
      }
      length = buffer.readUInt16BE(start);
      start += 2;
    }
    if (start + length > buffer.length) {
      throw new TlvError(`DGI ${dgi.toString(16)} value truncated`);
    }
    dgis.push({ dgi, value: buffer.subarray(start, start + length) });
    offset = start + length;
  }
  return dgis;
}
