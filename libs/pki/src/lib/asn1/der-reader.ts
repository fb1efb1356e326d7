/**
 * Strict DER decoder: definite lengths only, minimal length octets, no trailing bytes. Every node keeps
 * its raw encoding so hashes and signatures are computed over the received bytes.
 */
import { Tag } from './der-writer';

export class Asn1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Asn1Error';
  }
}

export interface Asn1Node {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Content octets. */
  readonly value: Buffer;
  /** Identifier, length and content octets. */
  readonly raw: Buffer;
}

export function decodeDer(input: Buffer): Asn1Node {
  const { node, end } = readNode(input, 0);
  if (end !== input.length) throw new Asn1Error(`${input.length - end} trailing byte(s) after DER value`);
  return node;
}

export function childrenOf(node: Asn1Node): Asn1Node[] {
  if (!node.constructed) throw new Asn1Error(`tag 0x${hex(node.tag)} is primitive, expected constructed`);
  const children: Asn1Node[] = [];
  for (let offset = 0; offset < node.value.length; ) {
    const { node: child, end } = readNode(node.value, offset);
    children.push(child);
    offset = end;
  }
  return children;
}

function readNode(input: Buffer, start: number): { node: Asn1Node; end: number } {
  if (start + 2 > input.length) throw new Asn1Error('truncated DER header');
  const tag = input[start];
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('high-tag-number form is not supported');
  const { length, headerLength } = readLength(input, start + 1);
  const contentStart = start + 1 + headerLength;
  const end = contentStart + length;
  if (end > input.length) throw new Asn1Error('DER length exceeds available bytes');
  const node: Asn1Node = {
    tag,
    constructed: (tag & 0x20) !== 0,
    value: input.subarray(contentStart, end),
    raw: input.subarray(start, end),
  };
  return { node, end };
}

function readLength(input: Buffer, offset: number): { length: number; headerLength: number } {
  const first = input[offset];
  if (first < 0x80) return { length: first, headerLength: 1 };
  const octets = first & 0x7f;
  if (octets === 0) throw new Asn1Error('indefinite length is not DER');
  if (octets > 4 || offset + 1 + octets > input.length) throw new Asn1Error('unsupported or truncated length');
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + input[offset + 1 + i];
  if (length < 0x80 || input[offset + 1] === 0) throw new Asn1Error('non-minimal DER length');
  return { length, headerLength: 1 + octets };
}

export function expectTag(node: Asn1Node, tag: number, what: string): Asn1Node {
  if (node.tag !== tag) throw new Asn1Error(`${what}: expected tag 0x${hex(tag)}, found 0x${hex(node.tag)}`);
  return node;
}

export function sequenceChildren(node: Asn1Node, what: string): Asn1Node[] {
  return childrenOf(expectTag(node, Tag.SEQUENCE, what));
}

export function readInteger(node: Asn1Node, what = 'INTEGER'): bigint {
  return integerFromContent(expectTag(node, Tag.INTEGER, what).value, what);
}

export function readEnumerated(node: Asn1Node, what = 'ENUMERATED'): number {
  return Number(integerFromContent(expectTag(node, Tag.ENUMERATED, what).value, what));
}

export function integerFromContent(content: Buffer, what: string): bigint {
  if (content.length === 0) throw new Asn1Error(`${what}: empty INTEGER`);
  if (content.length > 1 && isRedundantSignOctet(content)) throw new Asn1Error(`${what}: non-minimal INTEGER`);
  const magnitude = BigInt(`0x${content.toString('hex')}`);
  return (content[0] & 0x80) !== 0 ? magnitude - (1n << BigInt(content.length * 8)) : magnitude;
}

function isRedundantSignOctet(content: Buffer): boolean {
  return (content[0] === 0x00 && (content[1] & 0x80) === 0) || (content[0] === 0xff && (content[1] & 0x80) !== 0);
}

export function readBoolean(node: Asn1Node, what = 'BOOLEAN'): boolean {
  const { value } = expectTag(node, Tag.BOOLEAN, what);
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) throw new Asn1Error(`${what}: not a DER BOOLEAN`);
  return value[0] === 0xff;
}

export function readOctetString(node: Asn1Node, what = 'OCTET STRING'): Buffer {
  return expectTag(node, Tag.OCTET_STRING, what).value;
}

export interface BitStringValue {
  readonly unusedBits: number;
  readonly bytes: Buffer;
}

export function readBitString(node: Asn1Node, what = 'BIT STRING'): BitStringValue {
  const { value } = expectTag(node, Tag.BIT_STRING, what);
  if (value.length === 0 || value[0] > 7 || (value.length === 1 && value[0] !== 0)) {
    throw new Asn1Error(`${what}: malformed BIT STRING`);
  }
  return { unusedBits: value[0], bytes: value.subarray(1) };
}

export function readObjectIdentifier(node: Asn1Node, what = 'OBJECT IDENTIFIER'): string {
  return oidFromContent(expectTag(node, Tag.OBJECT_IDENTIFIER, what).value, what);
}

export function oidFromContent(content: Buffer, what: string): string {
  if (content.length === 0 || (content[content.length - 1] & 0x80) !== 0) throw new Asn1Error(`${what}: malformed OID`);
  const subIdentifiers: bigint[] = [];
  let current = 0n;
  for (let i = 0; i < content.length; i++) {
    if (current === 0n && content[i] === 0x80) throw new Asn1Error(`${what}: non-minimal OID arc`);
    current = (current << 7n) | BigInt(content[i] & 0x7f);
    if ((content[i] & 0x80) === 0) {
      subIdentifiers.push(current);
      current = 0n;
    }
  }
  const [first, ...rest] = subIdentifiers;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...rest].join('.');
}

const STRING_DECODERS: Readonly<Record<number, (content: Buffer) => string>> = {
  [Tag.UTF8_STRING]: (content) => decodeUtf8Strict(content),
  [Tag.PRINTABLE_STRING]: (content) => content.toString('latin1'),
  [Tag.IA5_STRING]: (content) => content.toString('latin1'),
  [Tag.VISIBLE_STRING]: (content) => content.toString('latin1'),
  [Tag.T61_STRING]: (content) => content.toString('latin1'),
  [Tag.BMP_STRING]: (content) => decodeBmp(content),
};

export function readString(node: Asn1Node, what = 'string'): string {
  const decode = STRING_DECODERS[node.tag];
  if (!decode) throw new Asn1Error(`${what}: unsupported string tag 0x${hex(node.tag)}`);
  return decode(node.value);
}

function decodeBmp(content: Buffer): string {
  if (content.length % 2 !== 0) throw new Asn1Error('BMPString with odd length');
  return Buffer.from(content).swap16().toString('utf16le');
}

function decodeUtf8Strict(content: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new Asn1Error('invalid UTF-8 in UTF8String');
  }
}

const UTC_TIME_PATTERN = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** Time ::= CHOICE { UTCTime, GeneralizedTime } in the RFC 5280 DER profile (seconds, Zulu). */
export function readTime(node: Asn1Node, what = 'Time'): Date {
  const text = node.value.toString('latin1');
  if (node.tag === Tag.UTC_TIME) return timeFromMatch(UTC_TIME_PATTERN.exec(text), what, true);
  if (node.tag === Tag.GENERALIZED_TIME) return timeFromMatch(GENERALIZED_TIME_PATTERN.exec(text), what, false);
  throw new Asn1Error(`${what}: expected UTCTime or GeneralizedTime`);
}

function timeFromMatch(match: RegExpExecArray | null, what: string, twoDigitYear: boolean): Date {
  if (!match) throw new Asn1Error(`${what}: not a DER time`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const fullYear = twoDigitYear ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new Asn1Error(`${what}: invalid calendar value`);
  }
  return date;
}

/** Walks the children of a SEQUENCE, handling OPTIONAL and DEFAULT members in order. */
export class SequenceReader {
  private index = 0;

  constructor(
    private readonly children: readonly Asn1Node[],
    private readonly what: string,
  ) {}

  static of(node: Asn1Node, what: string): SequenceReader {
    return new SequenceReader(sequenceChildren(node, what), what);
  }

  next(member: string): Asn1Node {
    const node = this.children[this.index++];
    if (!node) throw new Asn1Error(`${this.what}: missing ${member}`);
    return node;
  }

  optional(tag: number): Asn1Node | undefined {
    const node = this.children[this.index];
    if (node?.tag !== tag) return undefined;
    this.index++;
    return node;
  }

  peekTag(): number | undefined {
    return this.children[this.index]?.tag;
  }

  end(): void {
    if (this.index !== this.children.length) throw new Asn1Error(`${this.what}: unexpected trailing member`);
  }
}

/** Content of an EXPLICIT context tag: exactly one inner value. */
export function unwrapExplicit(node: Asn1Node, what: string): Asn1Node {
  const inner = childrenOf(node);
  if (inner.length !== 1) throw new Asn1Error(`${what}: explicit tag must wrap exactly one value`);
  return inner[0];
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0');
}
