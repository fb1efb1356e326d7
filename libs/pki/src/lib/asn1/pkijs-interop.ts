/** Bridges between pkijs/asn1js objects and the Buffers the toolkit's API speaks. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Signer } from '../keys/signer';
import { decodeDistinguishedName, type DecodedName } from '../names/distinguished-name';
import { decodeDer } from './der-reader';
import type { AlgorithmIdentifierValue } from '../x509/certificate';
import type { ExtensionInput, X509Extension } from '../x509/extensions';

/** Decodes `der` into a pkijs structure; unlike pkijs' fromBER, trailing bytes are refused. */
export function parsePkijs<T>(Structure: new (parameters: { schema: asn1js.AsnType }) => T, der: Buffer): T {
  const { offset, result } = asn1js.fromBER(der);
  if (offset === -1) throw new Error(result.error);
  if (offset !== der.length) throw new Error(`${der.length - offset} trailing byte(s) after DER value`);
  return new Structure({ schema: result });
}

/** A single DER value of one ASN.1 type, e.g. an extension's value. */
export function parseAsn1Value<T>(Type: new () => T, der: Buffer, what: string): T {
  const { offset, result } = asn1js.fromBER(der);
  if (offset !== der.length || !(result instanceof Type)) throw new Error(`${what} is not a DER ${Type.name}`);
  return result;
}

export function asn1Der(value: asn1js.AsnType): Buffer {
  return Buffer.from(value.toBER());
}

/** The toolkit's view of a Name, decoded from the bytes pkijs received. */
export function decodedName(name: pkijs.RelativeDistinguishedNames): DecodedName {
  return decodeDistinguishedName(decodeDer(derOf(name)));
}

export function derOf(value: { toSchema(): asn1js.AsnType }): Buffer {
  return Buffer.from(value.toSchema().toBER());
}

export function pkijsExtensions(extensions: readonly ExtensionInput[]): pkijs.Extensions {
  return new pkijs.Extensions({
    extensions: extensions.map(({ oid, critical, value }) => new pkijs.Extension({ extnID: oid, critical, extnValue: arrayBuffer(value) })),
  });
}

export function x509Extensions(extensions: readonly pkijs.Extension[]): X509Extension[] {
  return extensions.map((extension) => ({
    oid: extension.extnID,
    critical: extension.critical,
    value: Buffer.from(extension.extnValue.valueBlock.valueHexView),
    raw: derOf(extension),
  }));
}

export function algorithmIdentifierValue(algorithm: pkijs.AlgorithmIdentifier): AlgorithmIdentifierValue {
  const raw = derOf(algorithm);
  return algorithm.algorithmParams ? { oid: algorithm.algorithmId, parameters: asn1Der(algorithm.algorithmParams), raw } : { oid: algorithm.algorithmId, raw };
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

/** A signed structure whose TBS part pkijs encodes: Certificate, CertificateList or CertificationRequest. */
interface PkijsSignedStructure {
  tbsView: Uint8Array;
  signatureValue: asn1js.BitString;
  toSchema(encodeFlag?: boolean): asn1js.Sequence;
}

/**
 * Signs the TBS bytes with the toolkit's Signer (software key, HSM or card applet) rather than a pkijs
 * crypto engine; the signatureAlgorithm must already be set.
 */
export async function signPkijs(structure: PkijsSignedStructure, signer: Signer): Promise<Buffer> {
  const tbs = Buffer.from(structure.toSchema(true).valueBlock.value[0].toBER());
  structure.tbsView = new Uint8Array(tbs);
  structure.signatureValue = new asn1js.BitString({ valueHex: arrayBuffer(await signer.sign(tbs)) });
  return derOf(structure);
}
