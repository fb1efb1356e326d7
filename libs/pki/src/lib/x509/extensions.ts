import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  Asn1Error,
  readBoolean,
  readObjectIdentifier,
  readOctetString,
  sequenceChildren,
  SequenceReader,
  type Asn1Node,
} from '../asn1/der-reader';
import {
  bitString,
  boolean,
  contextTag,
  integer,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  Tag,
  tlv,
} from '../asn1/der-writer';
import { Oid } from '../asn1/oids';
import { decodedName, parseAsn1Value, parsePkijs } from '../asn1/pkijs-interop';
import { type DecodedName } from '../names/distinguished-name';
import { directoryGeneralName, encodeGeneralNames, uriGeneralName } from './general-names';

export interface ExtensionInput {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the extension value (the content of extnValue). */
  readonly value: Buffer;
}

export interface X509Extension extends ExtensionInput {
  readonly raw: Buffer;
}

export function encodeExtension({ oid, critical, value }: ExtensionInput): Buffer {
  // DER forbids encoding BOOLEAN DEFAULT FALSE.
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

export function encodeExtensions(extensions: readonly ExtensionInput[]): Buffer {
  return sequence(...extensions.map(encodeExtension));
}

export function decodeExtensions(node: Asn1Node): X509Extension[] {
  const extensions = sequenceChildren(node, 'Extensions').map(decodeExtension);
  if (extensions.length === 0) throw new Asn1Error('Extensions must not be empty');
  return extensions;
}

function decodeExtension(node: Asn1Node): X509Extension {
  const reader = SequenceReader.of(node, 'Extension');
  const oid = readObjectIdentifier(reader.next('extnID'), 'extnID');
  const criticalNode = reader.optional(Tag.BOOLEAN);
  const critical = criticalNode ? readBoolean(criticalNode, 'critical') : false;
  if (criticalNode && !critical) throw new Asn1Error(`extension ${oid}: critical FALSE must be omitted in DER`);
  const value = readOctetString(reader.next('extnValue'), 'extnValue');
  reader.end();
  return { oid, critical, value, raw: node.raw };
}

export function findExtension(extensions: readonly X509Extension[], oid: string): X509Extension | undefined {
  return extensions.find((extension) => extension.oid === oid);
}

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

export function keyUsageExtension(usages: readonly KeyUsageName[]): ExtensionInput {
  const bytes = Buffer.alloc(2);
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS.indexOf(usage);
    bytes[bit >> 3] |= 0x80 >> (bit & 7);
  }
  const used = bytes[1] === 0 ? bytes.subarray(0, 1) : bytes;
  const last = used[used.length - 1];
  const unusedBits = last === 0 ? 0 : countTrailingZeroBits(last);
  return { oid: Oid.keyUsage, critical: true, value: bitString(Buffer.from(used), unusedBits) };
}

function countTrailingZeroBits(byte: number): number {
  let count = 0;
  while (count < 8 && (byte & (1 << count)) === 0) count++;
  return count;
}

export function decodeKeyUsage(value: Buffer): KeyUsageName[] {
  const bytes = parseAsn1Value(asn1js.BitString, value, 'KeyUsage').valueBlock.valueHexView;
  return KEY_USAGE_BITS.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength?: number;
}

export function basicConstraintsExtension({ ca, pathLength }: BasicConstraints): ExtensionInput {
  const members = ca ? [boolean(true), ...(pathLength === undefined ? [] : [integer(pathLength)])] : [];
  return { oid: Oid.basicConstraints, critical: true, value: sequence(...members) };
}

export function decodeBasicConstraints(value: Buffer): BasicConstraints {
  const { cA, pathLenConstraint } = parsePkijs(pkijs.BasicConstraints, value);
  if (pathLenConstraint === undefined) return { ca: cA };
  return { ca: cA, pathLength: typeof pathLenConstraint === 'number' ? pathLenConstraint : Number(pathLenConstraint.toBigInt()) };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 over the subjectPublicKey BIT STRING value. */
export function keyIdentifierFromSpki(spki: Buffer): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

/** The subjectPublicKey BIT STRING value of a SubjectPublicKeyInfo. */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  return Buffer.from(pkijs.PublicKeyInfo.fromBER(spki).subjectPublicKey.valueBlock.valueHexView);
}

export function subjectKeyIdentifierExtension(keyIdentifier: Buffer): ExtensionInput {
  return { oid: Oid.subjectKeyIdentifier, critical: false, value: octetString(keyIdentifier) };
}

export function decodeSubjectKeyIdentifier(value: Buffer): Buffer {
  return Buffer.from(parseAsn1Value(asn1js.OctetString, value, 'SubjectKeyIdentifier').getValue());
}

export function authorityKeyIdentifierExtension(keyIdentifier: Buffer): ExtensionInput {
  return { oid: Oid.authorityKeyIdentifier, critical: false, value: sequence(tlv(contextTag(0, false), keyIdentifier)) };
}

export function decodeAuthorityKeyIdentifier(value: Buffer): { readonly keyIdentifier?: Buffer } {
  const { keyIdentifier } = parsePkijs(pkijs.AuthorityKeyIdentifier, value);
  return keyIdentifier ? { keyIdentifier: Buffer.from(keyIdentifier.valueBlock.valueHexView) } : {};
}

export function extendedKeyUsageExtension(purposes: readonly string[]): ExtensionInput {
  return { oid: Oid.extKeyUsage, critical: false, value: sequence(...purposes.map(objectIdentifier)) };
}

export function decodeExtendedKeyUsage(value: Buffer): string[] {
  return parsePkijs(pkijs.ExtKeyUsage, value).keyPurposes;
}

export function ocspNoCheckExtension(): ExtensionInput {
  return { oid: Oid.ocspNoCheck, critical: false, value: nullValue() };
}

export function certificatePoliciesExtension(policyOids: readonly string[]): ExtensionInput {
  const policies = policyOids.map((policyOid) => sequence(objectIdentifier(policyOid)));
  return { oid: Oid.certificatePolicies, critical: false, value: sequence(...policies) };
}

export function decodeCertificatePolicies(value: Buffer): string[] {
  return parsePkijs(pkijs.CertificatePolicies, value).certificatePolicies.map((policy) => policy.policyIdentifier);
}

export function crlDistributionPointsExtension(uris: readonly string[]): ExtensionInput {
  const points = uris.map((uri) => sequence(tlv(contextTag(0, true), tlv(contextTag(0, true), uriGeneralName(uri)))));
  return { oid: Oid.crlDistributionPoints, critical: false, value: sequence(...points) };
}

/** GeneralName choices (RFC 5280 §4.2.1.6) as pkijs numbers them. */
const DIRECTORY_NAME = 4;
const URI_NAME = 6;

export interface DistributionPointNames {
  readonly uris: readonly string[];
  readonly directoryNames: readonly DecodedName[];
}

export function decodeCrlDistributionPoints(value: Buffer): DistributionPointNames {
  const fullNames = parsePkijs(pkijs.CRLDistributionPoints, value).distributionPoints.flatMap(({ distributionPoint }) =>
    Array.isArray(distributionPoint) ? distributionPoint : [],
  );
  return {
    uris: fullNames.flatMap((name) => (name.type === URI_NAME ? [name.value as string] : [])),
    directoryNames: fullNames.flatMap((name) => (name.type === DIRECTORY_NAME ? [decodedName(name.value)] : [])),
  };
}

export interface AuthorityInfoAccess {
  readonly ocsp: readonly string[];
  readonly caIssuers: readonly string[];
}

export function authorityInfoAccessExtension({ ocsp, caIssuers }: AuthorityInfoAccess): ExtensionInput {
  const descriptions = [
    ...ocsp.map((uri) => sequence(objectIdentifier(Oid.adOcsp), uriGeneralName(uri))),
    ...caIssuers.map((uri) => sequence(objectIdentifier(Oid.adCaIssuers), uriGeneralName(uri))),
  ];
  return { oid: Oid.authorityInfoAccess, critical: false, value: sequence(...descriptions) };
}

export function decodeAuthorityInfoAccess(value: Buffer): AuthorityInfoAccess {
  const descriptions = parsePkijs(pkijs.InfoAccess, value).accessDescriptions;
  const uris = (method: string) =>
    descriptions.flatMap(({ accessMethod, accessLocation }) => (accessMethod === method && accessLocation.type === URI_NAME ? [accessLocation.value as string] : []));
  return { ocsp: uris(Oid.adOcsp), caIssuers: uris(Oid.adCaIssuers) };
}

export function issuerAltNameDirectoryExtension(nameDer: Buffer): ExtensionInput {
  return { oid: Oid.issuerAltName, critical: false, value: encodeGeneralNames([directoryGeneralName(nameDer)]) };
}

export function subjectAltNameExtension(generalNames: readonly Buffer[], critical = false): ExtensionInput {
  return { oid: Oid.subjectAltName, critical, value: encodeGeneralNames(generalNames) };
}

export function decodeDirectoryNames(value: Buffer): DecodedName[] {
  return parsePkijs(pkijs.GeneralNames, value).names.flatMap((name) => (name.type === DIRECTORY_NAME ? [decodedName(name.value)] : []));
}
