import { SwError } from './errors';
import { Sw } from './status-words';

export const EMPTY = Buffer.alloc(0);

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

export function fromHex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new SwError(Sw.WRONG_DATA, `not a hex string: ${text}`);
  }
  return Buffer.from(clean, 'hex');
}

export function u16(value: number): Buffer {
  return Buffer.from([(value >> 8) & 0xff, value & 0xff]);
}

/** Big-endian unsigned integer in the fewest bytes (at least one). */
export function minimalUnsigned(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** Sequential reader for command data; running out of bytes is a 6A80 by default. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly errorSw: number = Sw.WRONG_DATA,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  take(length: number): Buffer {
    if (length < 0 || length > this.remaining) {
      throw new SwError(this.errorSw, `truncated data: need ${length}, have ${this.remaining}`);
    }
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** One-byte length then value (GP LV fields). */
  lv(): Buffer {
    return this.take(this.u8());
  }

  /** BER length then value; GP also allows 128 coded on one byte as '80'. */
  berLv(): Buffer {
    const first = this.u8();
    if (first <= 0x80) {
      return this.take(first);
    }
    const size = first & 0x7f;
    if (size > 2) {
      throw new SwError(this.errorSw, `length field too long: ${first.toString(16)}`);
    }
    return this.take(size === 1 ? this.u8() : this.u16());
  }

  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new SwError(this.errorSw, `${this.remaining} unexpected trailing bytes`);
    }
  }
}

/** LV with a one-byte length (AIDs, privileges). */
export function lv(value: Uint8Array): Buffer {
  if (value.length > 255) {
    throw new SwError(Sw.WRONG_DATA, 'LV value longer than 255 bytes');
  }
  return Buffer.concat([Buffer.from([value.length]), value]);
}

/** LV with a BER length (install parameters, tokens). */
export function berLv(value: Uint8Array): Buffer {
  const length = value.length;
  if (length < 0x80) {
    return Buffer.concat([Buffer.from([length]), value]);
  }
  if (length <= 0xff) {
    return Buffer.concat([Buffer.from([0x81, length]), value]);
  }
  return Buffer.concat([Buffer.from([0x82]), u16(length), value]);
}
