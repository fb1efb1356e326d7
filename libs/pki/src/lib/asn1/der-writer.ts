/**
 * Minimal DER encoder. Every signed structure in this library is built from these functions so the
 * bytes that get signed are exactly the bytes we emit (no re-encoding by a schema library).
 */

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const PRINTABLE_STRING_PATTERN = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: readonly Buffer[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
export function setOf(...items: readonly Buffer[]): Buffer {
  const sorted = [...items].sort(Buffer.compare);
  return tlv(Tag.SET, Buffer.concat(sorted));
}

export function contextTag(tagNumber: number, constructed: boolean): number {
  if (tagNumber > 30) throw new RangeError(`context tag [${tagNumber}] needs the high-tag form`);
  return 0x80 | (constructed ? 0x20 : 0) | tagNumber;
}

export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(contextTag(tagNumber, true), inner);
}

/** IMPLICIT tagging keeps the content octets and replaces the identifier. */
export function implicit(tagNumber: number, encoded: Buffer): Buffer {
  const constructed = (encoded[0] & 0x20) !== 0;
  const headerLength = encodedHeaderLength(encoded);
  return tlv(contextTag(tagNumber, constructed), encoded.subarray(headerLength));
}

function encodedHeaderLength(encoded: Buffer): number {
  const first = encoded[1];
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

export function boolean(value: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return Buffer.from([Tag.NULL, 0x00]);
}

/** Two's-complement minimal encoding of a bigint (X.690 §8.3). */
export function integerContent(value: bigint): Buffer {
  if (value === 0n) return Buffer.from([0]);
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, rest)));
    rest >>= 8n;
    const signBitSet = (bytes[0] & 0x80) !== 0;
    if ((rest === 0n && !signBitSet) || (rest === -1n && signBitSet)) break;
  }
  return Buffer.from(bytes);
}

export function integer(value: bigint | number): Buffer {
  return tlv(Tag.INTEGER, integerContent(BigInt(value)));
}

export function enumerated(value: number): Buffer {
  return tlv(Tag.ENUMERATED, integerContent(BigInt(value)));
}

export function octetString(value: Buffer): Buffer {
  return tlv(Tag.OCTET_STRING, value);
}

export function bitString(value: Buffer, unusedBits = 0): Buffer {
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), value]));
}

export function objectIdentifier(dotted: string): Buffer {
  return tlv(Tag.OBJECT_IDENTIFIER, oidContent(dotted));
}

export function oidContent(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`invalid OID ${dotted}`);
    return BigInt(arc);
  });
  if (arcs.length < 2 || arcs[0] > 2n || (arcs[0] < 2n && arcs[1] > 39n)) {
    throw new RangeError(`invalid OID ${dotted}`);
  }
  const subIdentifiers = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  return Buffer.concat(subIdentifiers.map(base128));
}

function base128(value: bigint): Buffer {
  const bytes = [Number(value & 0x7fn)];
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes.unshift(Number(rest & 0x7fn) | 0x80);
  return Buffer.from(bytes);
}

export function utf8String(value: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(value, 'utf8'));
}

export function isPrintableString(value: string): boolean {
  return PRINTABLE_STRING_PATTERN.test(value);
}

export function printableString(value: string): Buffer {
  if (!isPrintableString(value)) throw new RangeError(`not a PrintableString: ${JSON.stringify(value)}`);
  return tlv(Tag.PRINTABLE_STRING, Buffer.from(value, 'ascii'));
}

export function ia5String(value: string): Buffer {
  if ([...value].some((char) => char.charCodeAt(0) > 0x7f)) throw new RangeError('IA5String must be 7-bit ASCII');
  return tlv(Tag.IA5_STRING, Buffer.from(value, 'ascii'));
}

/** RFC 5280 §4.1.2.5: whole seconds, UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? utcTime(date) : generalizedTime(date);
}

export function utcTime(date: Date): Buffer {
  const text = compactIsoSeconds(date).slice(2);
  return tlv(Tag.UTC_TIME, Buffer.from(`${text}Z`, 'ascii'));
}

export function generalizedTime(date: Date): Buffer {
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(`${compactIsoSeconds(date)}Z`, 'ascii'));
}

function compactIsoSeconds(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date.toISOString().slice(0, 19).replace(/[-:T]/g, '');
}

export function algorithmIdentifier(oid: string, parameters?: Buffer): Buffer {
  return parameters ? sequence(objectIdentifier(oid), parameters) : sequence(objectIdentifier(oid));
}
