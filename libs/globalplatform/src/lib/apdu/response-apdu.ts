import { EMPTY, hex } from '../bytes';
import { GpError } from '../errors';
import { isSuccessOrWarning, Sw } from '../status-words';

/** Response APDU: data field followed by SW1 SW2. */
export class ResponseApdu {
  readonly data: Buffer;

  constructor(
    data: Uint8Array,
    readonly sw: number,
  ) {
    if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
      throw new GpError(`SW out of range: ${sw}`);
    }
    this.data = Buffer.from(data);
  }

  static parse(bytes: Uint8Array): ResponseApdu {
    if (bytes.length < 2) {
      throw new GpError(`response shorter than a status word: ${bytes.length} bytes`);
    }
    const buffer = Buffer.from(bytes);
    return new ResponseApdu(buffer.subarray(0, -2), buffer.readUInt16BE(buffer.length - 2));
  }

  static ok(data: Uint8Array = EMPTY): ResponseApdu {
    return new ResponseApdu(data, Sw.OK);
  }

  static status(sw: number): ResponseApdu {
    return new ResponseApdu(EMPTY, sw);
  }

  get sw1(): number {
    return this.sw >> 8;
  }

  get sw2(): number {
    return this.sw & 0xff;
  }

  get isOk(): boolean {
    return this.sw === Sw.OK;
  }

  get isSuccessOrWarning(): boolean {
    return isSuccessOrWarning(this.sw);
  }

  toBytes(): Buffer {
    return Buffer.concat([this.data, Buffer.from([this.sw1, this.sw2])]);
  }

  toString(): string {
    return hex(this.toBytes());
  }
}
