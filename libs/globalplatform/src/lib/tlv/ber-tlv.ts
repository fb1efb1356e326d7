import { u16 } from '../bytes';
import { TlvError } from '../errors';

/** A BER-TLV data object; `tag` is the tag's bytes read as a big-endian number (e.g. 0x9F70, 0x7F49). */
export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

const MAX_TAG_BYTES = 3;
const MAX_LENGTH_BYTES = 3;

export function encodeTag(tag: number): Buffer {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffff) {
    throw new TlvError(`tag out of range: ${tag}`);
  }
  const bytes: number[] = [];
  for (let rest = tag; rest > 0; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest & 0xff);
  }
  return Buffer.from(bytes);
}

export function encodeBerLength(length: number): Buffer {
  if (length < 0x80) {
    return Buffer.from([length]);
  }
  if (length <= 0xff) {
    return Buffer.from([0x81, length]);
  }
  if (length <= 0xffff) {
    return Buffer.concat([Buffer.from([0x82]), u16(length)]);
  }
  if (length <= 0xffffff) {
    return Buffer.from([0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  }
  throw new TlvError(`length too large: ${length}`);
}

export function encodeTlv(tag: number, value: Uint8Array | readonly Tlv[]): Buffer {
  const content = value instanceof Uint8Array ? Buffer.from(value) : encodeTlvs(value);
  return Buffer.concat([encodeTag(tag), encodeBerLength(content.length), content]);
}

export function encodeTlvs(tlvs: readonly Tlv[]): Buffer {
  return Buffer.concat(tlvs.map((tlv) => encodeTlv(tlv.tag, tlv.value)));
}

export function isConstructedTag(tag: number): boolean {
  return (encodeTag(tag)[0] & 0x20) !== 0;
}

/** Decodes a concatenation of BER-TLV objects; any malformation throws a TlvError (SW 6A80). */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const buffer = Buffer.from(bytes);
  const tlvs: Tlv[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const tag = readTag(buffer, offset);
    const length = readLength(buffer, offset + tag.size);
    const start = offset + tag.size + length.size;
    const end = start + length.value;
    if (end > buffer.length) {
      throw new TlvError(`value of tag ${tag.value.toString(16)} truncated: ${length.value} > ${buffer.length - start}`);
    }
    tlvs.push({ tag: tag.value, value: buffer.subarray(start, end) });
    offset = end;
  }
  return tlvs;
}

/** Decodes exactly one BER-TLV object. */
export function decodeTlv(bytes: Uint8Array): Tlv {
  const tlvs = decodeTlvs(bytes);
  if (tlvs.length !== 1) {
    throw new TlvError(`expected one TLV, found ${tlvs.length}`);
  }
  return tlvs[0];
}

export function findTlv(tlvs: readonly Tlv[], tag: number): Tlv | undefined {
  return tlvs.find((tlv) => tlv.tag === tag);
}

export function requireTlv(tlvs: readonly Tlv[], tag: number): Tlv {
  const tlv = findTlv(tlvs, tag);
  if (!tlv) {
    throw new TlvError(`missing tag ${tag.toString(16).toUpperCase()}`);
  }
  return tlv;
}

interface Field {
  readonly value: number;
  readonly size: number;
}

function readTag(buffer: Buffer, offset: number): Field {
  const first = buffer[offset];
  if (first === 0x00) {
    throw new TlvError(`invalid tag byte ${first.toString(16)} at ${offset}`);
  }
  let value = first;
  let size = 1;
  if ((first & 0x1f) === 0x1f) {
    let next: number;
    do {
      if (offset + size >= buffer.length) {
        throw new TlvError(`truncated tag at ${offset}`);
      }
      if (size === MAX_TAG_BYTES) {
        throw new TlvError(`tag longer than ${MAX_TAG_BYTES} bytes at ${offset}`);
      }
      next = buffer[offset + size];
      value = value * 256 + next;
      size += 1;
    } while ((next & 0x80) !== 0);
  }
  return { value, size };
}

function readLength(buffer: Buffer, offset: number): Field {
  if (offset >= buffer.length) {
    throw new TlvError(`missing length at ${offset}`);
  }
  const first = buffer[offset];
  if (first < 0x80) {
    return { value: first, size: 1 };
  }
  const count = first & 0x7f;
  if (count === 0) {
    throw new TlvError('indefinite length is not allowed');
  }
  if (count > MAX_LENGTH_BYTES) {
    throw new TlvError(`length field of ${count} bytes is too long`);
  }
  if (offset + 1 + count > buffer.length) {
    throw new TlvError(`truncated length at ${offset}`);
  }
  return { value: buffer.readUIntBE(offset + 1, count), size: 1 + count };
}
