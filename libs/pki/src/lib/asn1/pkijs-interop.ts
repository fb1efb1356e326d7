/**
 * Bridges between pkijs/asn1js objects and the Buffers the toolkit's API speaks, and the DER strictness
 * asn1js (a BER decoder) does not enforce: every received structure goes through `parseDer`.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Signer } from '../keys/signer';
import type { ExtensionInput } from '../x509/extensions';
import { Oid } from './oids';

export class Asn1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Asn1Error';
  }
}

/**
 * Parses one DER value: no trailing bytes, and every node passes `assertDerNode`. asn1js refuses more than
 * `maxNodes` nodes (its default, 10,000, guards against inputs that expand into huge trees); a CRL lists every
 * revoked certificate and passes a larger bound.
 */
export function parseDer(der: Buffer, what = 'DER value', maxNodes?: number): asn1js.AsnType {
  const { offset, result } = asn1js.fromBER(der, { maxNodes });
  if (offset === -1) throw new Asn1Error(`${what}: ${result.error}`);
  if (offset !== der.length) throw new Asn1Error(`${what}: ${der.length - offset} trailing byte(s) after DER value`);
  assertDerNode(result, what);
  return result;
}

const UNIVERSAL = 1;
const UNIVERSAL_CONSTRUCTED_TAGS = new Set([16, 17]);
const TIME_PATTERNS: Readonly<Record<number, RegExp>> = { 23: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/, 24: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ };

/**
 * X.690 DER rules a BER decoder lets through: definite minimal lengths, minimal INTEGERs, BOOLEAN
 * 00/FF, primitive strings, strict UTF-8 and RFC 5280 times (whole seconds, Zulu, a real calendar date).
 */
function assertDerNode(node: asn1js.AsnType, what: string): void {
  const { lenBlock, idBlock } = node;
  if (lenBlock.isIndefiniteForm) throw new Asn1Error(`${what}: indefinite length is not DER`);
  if (lenBlock.longFormUsed && (lenBlock.length < 0x80 || lenBlock.blockLength !== 1 + minimalOctets(lenBlock.length))) {
    throw new Asn1Error(`${what}: non-minimal DER length`);
  }
  if (idBlock.tagClass === UNIVERSAL && idBlock.isConstructed && !UNIVERSAL_CONSTRUCTED_TAGS.has(idBlock.tagNumber)) {
    throw new Asn1Error(`${what}: constructed encoding of universal tag ${idBlock.tagNumber} is not DER`);
  }
  if (idBlock.isConstructed) {
    for (const child of childrenOf(node)) assertDerNode(child, what);
    return;
  }
  if (idBlock.tagClass === UNIVERSAL) assertDerPrimitive(idBlock.tagNumber, receivedDer(node).subarray(idBlock.blockLength + lenBlock.blockLength), what);
}

function assertDerPrimitive(tagNumber: number, content: Buffer, what: string): void {
  if ((tagNumber === 2 || tagNumber === 10) && (content.length === 0 || isRedundantSignOctet(content))) throw new Asn1Error(`${what}: non-minimal INTEGER`);
  if (tagNumber === 1 && (content.length !== 1 || (content[0] !== 0x00 && content[0] !== 0xff))) throw new Asn1Error(`${what}: not a DER BOOLEAN`);
  if (tagNumber === 12 && !isStrictUtf8(content)) throw new Asn1Error(`${what}: invalid UTF-8 in UTF8String`);
  if (tagNumber === 30 && content.length % 2 !== 0) throw new Asn1Error(`${what}: BMPString with odd length`);
  if (TIME_PATTERNS[tagNumber]) assertTime(TIME_PATTERNS[tagNumber].exec(content.toString('latin1')), tagNumber === 23, what);
}

function minimalOctets(length: number): number {
  let octets = 1;
  while (length >= 256 ** octets) octets++;
  return octets;
}

function isRedundantSignOctet(content: Buffer): boolean {
  return content.length > 1 && ((content[0] === 0x00 && (content[1] & 0x80) === 0) || (content[0] === 0xff && (content[1] & 0x80) !== 0));
}

function isStrictUtf8(content: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}

function assertTime(match: RegExpExecArray | null, twoDigitYear: boolean, what: string): void {
  if (!match) throw new Asn1Error(`${what}: not a DER time`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(twoDigitYear ? 2000 + year : year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new Asn1Error(`${what}: invalid calendar value`);
  }
}

/** Decodes `der` into a pkijs structure, strictly (see `parseDer`). */
export function parsePkijs<T>(Structure: new (parameters: { schema: asn1js.AsnType }) => T, der: Buffer, what = Structure.name, maxNodes?: number): T {
  const schema = parseDer(der, what, maxNodes);
  try {
    return new Structure({ schema });
  } catch (error) {
    throw new Asn1Error(`${what}: ${(error as Error).message}`);
  }
}

/** A single DER value of one ASN.1 type, e.g. an extension's value. */
export function parseAsn1Value<T>(Type: new () => T, der: Buffer, what: string): T {
  const result = parseDer(der, what);
  if (!(result instanceof Type)) throw new Asn1Error(`${what} is not a DER ${Type.name}`);
  return result;
}

/** The children of a constructed value (a SEQUENCE, SET or constructed tag). */
export function childrenOf(value: asn1js.AsnType): asn1js.AsnType[] {
  return value.idBlock.isConstructed ? (value.valueBlock as unknown as { value: asn1js.AsnType[] }).value : [];
}

/** The bytes a parsed value was decoded from. */
export function receivedDer(value: asn1js.AsnType): Buffer {
  return Buffer.from(value.valueBeforeDecodeView);
}

export function asn1Der(value: asn1js.AsnType): Buffer {
  return Buffer.from(value.toBER());
}

export function derOf(value: { toSchema(): asn1js.AsnType }): Buffer {
  return Buffer.from(value.toSchema().toBER());
}

export function pkijsExtensions(extensions: readonly ExtensionInput[]): pkijs.Extensions {
  return new pkijs.Extensions({
    extensions: extensions.map(({ oid, critical, value }) => new pkijs.Extension({ extnID: oid, critical, extnValue: arrayBuffer(value) })),
  });
}

export function x509Extensions(extensions: readonly pkijs.Extension[]): ExtensionInput[] {
  return extensions.map((extension) => ({ oid: extension.extnID, critical: extension.critical, value: Buffer.from(extension.extnValue.valueBlock.valueHexView) }));
}

export interface AlgorithmIdentifierValue {
  readonly oid: string;
  /** DER of the parameters, when present. */
  readonly parameters?: Buffer;
  readonly raw: Buffer;
}

export function algorithmIdentifierValue(algorithm: pkijs.AlgorithmIdentifier): AlgorithmIdentifierValue {
  const raw = derOf(algorithm);
  return algorithm.algorithmParams ? { oid: algorithm.algorithmId, parameters: asn1Der(algorithm.algorithmParams), raw } : { oid: algorithm.algorithmId, raw };
}

/** sha256WithRSAEncryption with the NULL parameters RFC 4055 requires, or ecdsa-with-SHA256 without parameters (RFC 5758). */
export function signatureAlgorithmFor(signer: Pick<Signer, 'signatureAlgorithm'>): pkijs.AlgorithmIdentifier {
  return signer.signatureAlgorithm === 'ecdsa-with-SHA256'
    ? new pkijs.AlgorithmIdentifier({ algorithmId: Oid.ecdsaWithSha256 })
    : new pkijs.AlgorithmIdentifier({ algorithmId: Oid.sha256WithRsaEncryption, algorithmParams: new asn1js.Null() });
}

/**
 * RFC 5280 §4.1.2.5: whole seconds, UTCTime through 2049 and GeneralizedTime from 2050, unless the
 * field is always a GeneralizedTime (invalidityDate, OCSP times).
 */
export function pkijsTime(date: Date, kind?: 'GeneralizedTime'): pkijs.Time {
  const year = date.getUTCFullYear();
  const utc = kind === undefined && year >= 1950 && year < 2050;
  return new pkijs.Time({ type: utc ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: wholeSeconds(date) });
}

/** DER times carry whole seconds (asn1js would encode milliseconds as a fraction). */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}

/**
 * `SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature, ...trailer }`, the envelope of Certificate,
 * CertificateList, CertificationRequest and BasicOCSPResponse (whose trailer is its `[0] certs`), around exactly the
 * TBS bytes that were signed: they are copied, not decoded and encoded again (which could change them, and costs a CA a
 * parse of every CRL entry twice per CRL). The trailer is DER already (`derTlv`).
 */
export function signedEnvelope(tbs: Buffer, algorithm: pkijs.AlgorithmIdentifier, signature: Buffer, ...trailer: Buffer[]): Buffer {
  return derTlv(0x30, tbs, derOf(algorithm), asn1Der(new asn1js.BitString({ valueHex: arrayBuffer(signature) })), ...trailer);
}

/** One DER TLV around contents that are DER already: the tag, the X.690 §8.1.3 definite length, the contents copied. */
export function derTlv(tag: number, ...contents: Buffer[]): Buffer {
  const content = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** X.690 §8.1.3: the short form below 128, else 0x80 | the number of length octets, then the length big-endian. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets = Buffer.alloc(minimalOctets(length));
  octets.writeUIntBE(length, 0, octets.length);
  return Buffer.concat([Buffer.from([0x80 | octets.length]), octets]);
}

/** Signs TBS bytes with the toolkit's Signer (software key, HSM or card applet) rather than a pkijs crypto engine. */
export async function signTbs(tbs: Buffer, signer: Signer): Promise<Buffer> {
  return signedEnvelope(tbs, signatureAlgorithmFor(signer), await signer.sign(tbs));
}

/** The TBS bytes pkijs encodes for a CertificateList or CertificationRequest (whose encodeTBS is protected). */
export function pkijsTbs(structure: { toSchema(encodeFlag?: boolean): asn1js.Sequence }): Buffer {
  return asn1Der(structure.toSchema(true).valueBlock.value[0]);
}
