import { EMPTY, hex } from '../bytes';
import { ApduFormatError, GpError } from '../errors';

const SHORT_MAX_LC = 255;
const SHORT_MAX_NE = 256;
const EXTENDED_MAX_NE = 65536;

export type IsoCase = 1 | 2 | 3 | 4;

/** ISO 7816-4 command APDU, cases 1-4, short or extended length. `ne` is the expected length (Le 00 = 256). */
export class CommandApdu {
  readonly data: Buffer;

  constructor(
    readonly cla: number,
    readonly ins: number,
    readonly p1: number,
    readonly p2: number,
    data: Uint8Array = EMPTY,
    readonly ne?: number,
    private readonly extendedEncoding = false,
  ) {
    for (const [name, value] of [['CLA', cla], ['INS', ins], ['P1', p1], ['P2', p2]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 0xff) {
        throw new GpError(`${name} out of range: ${value}`);
      }
    }
    if (data.length > 0xffff) {
      throw new GpError(`data too long: ${data.length}`);
    }
    if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > EXTENDED_MAX_NE)) {
      throw new GpError(`Ne out of range: ${ne}`);
    }
    this.data = Buffer.from(data);
  }

  static parse(bytes: Uint8Array): CommandApdu {
    const apdu = Buffer.from(bytes);
    if (apdu.length < 4) {
      throw new ApduFormatError(`APDU shorter than a header: ${apdu.length} bytes`);
    }
    const [cla, ins, p1, p2] = apdu;
    const body = apdu.subarray(4);
    if (body.length === 0) {
      return new CommandApdu(cla, ins, p1, p2);
    }
    if (body.length === 1) {
      return new CommandApdu(cla, ins, p1, p2, EMPTY, body[0] || SHORT_MAX_NE);
    }
    return body[0] !== 0 ? parseShortBody(cla, ins, p1, p2, body) : parseExtendedBody(cla, ins, p1, p2, body);
  }

  get isExtended(): boolean {
    return this.extendedEncoding || this.data.length > SHORT_MAX_LC || (this.ne ?? 0) > SHORT_MAX_NE;
  }

  get isoCase(): IsoCase {
    if (this.data.length === 0) {
      return this.ne === undefined ? 1 : 2;
    }
    return this.ne === undefined ? 3 : 4;
  }

  /** Lc as encoded in this APDU (1 byte short, 00 + 2 bytes extended); empty without data. */
  encodedLc(length: number = this.data.length): Buffer {
    if (length === 0) {
      return EMPTY;
    }
    return this.isExtended ? Buffer.from([0, length >> 8, length & 0xff]) : Buffer.from([length]);
  }

  toBytes(): Buffer {
    const header = Buffer.from([this.cla, this.ins, this.p1, this.p2]);
    return Buffer.concat([header, this.encodedLc(), this.data, this.encodedLe()]);
  }

  with(changes: { cla?: number; data?: Uint8Array; ne?: number | null; extended?: boolean }): CommandApdu {
    const ne = changes.ne === null ? undefined : (changes.ne ?? this.ne);
    return new CommandApdu(
      changes.cla ?? this.cla,
      this.ins,
      this.p1,
      this.p2,
      changes.data ?? this.data,
      ne,
      changes.extended ?? this.extendedEncoding,
    );
  }

  toString(): string {
    return hex(this.toBytes());
  }

  private encodedLe(): Buffer {
    if (this.ne === undefined) {
      return EMPTY;
    }
    if (!this.isExtended) {
      return Buffer.from([this.ne === SHORT_MAX_NE ? 0 : this.ne]);
    }
    const le = this.ne === EXTENDED_MAX_NE ? 0 : this.ne;
    const prefix = this.data.length === 0 ? [0] : [];
    return Buffer.from([...prefix, le >> 8, le & 0xff]);
  }
}

function parseShortBody(cla: number, ins: number, p1: number, p2: number, body: Buffer): CommandApdu {
  const lc = body[0];
  if (body.length === 1 + lc) {
    return new CommandApdu(cla, ins, p1, p2, body.subarray(1));
  }
  if (body.length === 2 + lc) {
    return new CommandApdu(cla, ins, p1, p2, body.subarray(1, 1 + lc), body[1 + lc] || SHORT_MAX_NE);
  }
  throw new ApduFormatError(`Lc ${lc} does not match ${body.length - 1} body bytes`);
}

function parseExtendedBody(cla: number, ins: number, p1: number, p2: number, body: Buffer): CommandApdu {
  if (body.length < 3) {
    throw new ApduFormatError('truncated extended length field');
  }
  const value = body.readUInt16BE(1);
  if (body.length === 3) {
    return new CommandApdu(cla, ins, p1, p2, EMPTY, value || EXTENDED_MAX_NE, true);
  }
  if (value === 0) {
    throw new ApduFormatError('extended Lc of zero');
  }
  if (body.length === 3 + value) {
    return new CommandApdu(cla, ins, p1, p2, body.subarray(3), undefined, true);
  }
  if (body.length === 5 + value) {
    const le = body.readUInt16BE(3 + value);
    return new CommandApdu(cla, ins, p1, p2, body.subarray(3, 3 + value), le || EXTENDED_MAX_NE, true);
  }
  throw new ApduFormatError(`extended Lc ${value} does not match ${body.length - 3} body bytes`);
}
