import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { Asn1Error, arrayBuffer, asn1Der, childrenOf, derOf, parseAsn1Value, parsePkijs } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import { decodedName, type DecodedName } from '../names/distinguished-name';

export interface ExtensionInput {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the extension value (the content of extnValue). */
  readonly value: Buffer;
}

export type X509Extension = ExtensionInput;

/** An Extension pkijs decoded, checked against its node as received: DER forbids encoding `critical` when it is FALSE (its DEFAULT). */
export function receivedExtension({ extnID, critical, extnValue }: pkijs.Extension, node: asn1js.AsnType): X509Extension {
  if (!critical && childrenOf(node).length === 3) throw new Asn1Error(`extension ${extnID}: critical FALSE must be omitted in DER`);
  return { oid: extnID, critical, value: Buffer.from(extnValue.valueBlock.valueHexView) };
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

/** DER named bit list: trailing zero bits dropped (X.690 §11.2.2). */
export function keyUsageExtension(usages: readonly KeyUsageName[]): ExtensionInput {
  const bits = KEY_USAGE_BITS.map((name) => usages.includes(name));
  const used = bits.slice(0, bits.lastIndexOf(true) + 1);
  const bytes = Buffer.alloc(Math.ceil(used.length / 8));
  used.forEach((set, bit) => (bytes[bit >> 3] |= set ? 0x80 >> (bit & 7) : 0));
  const bitString = new asn1js.BitString({ valueHex: arrayBuffer(bytes), unusedBits: bytes.length * 8 - used.length });
  return { oid: Oid.keyUsage, critical: true, value: asn1Der(bitString) };
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
  const constraints = new pkijs.BasicConstraints({ cA: ca, ...(ca && pathLength !== undefined ? { pathLenConstraint: pathLength } : {}) });
  return { oid: Oid.basicConstraints, critical: true, value: derOf(constraints) };
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
  return Buffer.from(parsePkijs(pkijs.PublicKeyInfo, spki).subjectPublicKey.valueBlock.valueHexView);
}

export function subjectKeyIdentifierExtension(keyIdentifier: Buffer): ExtensionInput {
  return { oid: Oid.subjectKeyIdentifier, critical: false, value: asn1Der(new asn1js.OctetString({ valueHex: arrayBuffer(keyIdentifier) })) };
}

export function decodeSubjectKeyIdentifier(value: Buffer): Buffer {
  return Buffer.from(parseAsn1Value(asn1js.OctetString, value, 'SubjectKeyIdentifier').getValue());
}

export function authorityKeyIdentifierExtension(keyIdentifier: Buffer): ExtensionInput {
  const identifier = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: arrayBuffer(keyIdentifier) }) });
  return { oid: Oid.authorityKeyIdentifier, critical: false, value: derOf(identifier) };
}

export function decodeAuthorityKeyIdentifier(value: Buffer): { readonly keyIdentifier?: Buffer } {
  const { keyIdentifier } = parsePkijs(pkijs.AuthorityKeyIdentifier, value);
  return keyIdentifier ? { keyIdentifier: Buffer.from(keyIdentifier.valueBlock.valueHexView) } : {};
}

export function extendedKeyUsageExtension(purposes: readonly string[]): ExtensionInput {
  return { oid: Oid.extKeyUsage, critical: false, value: derOf(new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] })) };
}

export function decodeExtendedKeyUsage(value: Buffer): string[] {
  return parsePkijs(pkijs.ExtKeyUsage, value).keyPurposes;
}

export function ocspNoCheckExtension(): ExtensionInput {
  return { oid: Oid.ocspNoCheck, critical: false, value: asn1Der(new asn1js.Null()) };
}

export function certificatePoliciesExtension(policyOids: readonly string[]): ExtensionInput {
  const policies = new pkijs.CertificatePolicies({ certificatePolicies: policyOids.map((policyIdentifier) => new pkijs.PolicyInformation({ policyIdentifier })) });
  return { oid: Oid.certificatePolicies, critical: false, value: derOf(policies) };
}

export function decodeCertificatePolicies(value: Buffer): string[] {
  return parsePkijs(pkijs.CertificatePolicies, value).certificatePolicies.map((policy) => policy.policyIdentifier);
}

/** GeneralName choices (RFC 5280 §4.2.1.6) as pkijs numbers them. */
const OTHER_NAME = 0;
const DIRECTORY_NAME = 4;
const URI_NAME = 6;

const uriName = (uri: string) => new pkijs.GeneralName({ type: URI_NAME, value: uri });

export function crlDistributionPointsExtension(uris: readonly string[]): ExtensionInput {
  const points = uris.map((uri) => new pkijs.DistributionPoint({ distributionPoint: [uriName(uri)] }));
  return { oid: Oid.crlDistributionPoints, critical: false, value: derOf(new pkijs.CRLDistributionPoints({ distributionPoints: points })) };
}

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
  const access = (accessMethod: string) => (uri: string) => new pkijs.AccessDescription({ accessMethod, accessLocation: uriName(uri) });
  const descriptions = [...ocsp.map(access(Oid.adOcsp)), ...caIssuers.map(access(Oid.adCaIssuers))];
  return { oid: Oid.authorityInfoAccess, critical: false, value: derOf(new pkijs.InfoAccess({ accessDescriptions: descriptions })) };
}

export function decodeAuthorityInfoAccess(value: Buffer): AuthorityInfoAccess {
  const descriptions = parsePkijs(pkijs.InfoAccess, value).accessDescriptions;
  const uris = (method: string) =>
    descriptions.flatMap(({ accessMethod, accessLocation }) => (accessMethod === method && accessLocation.type === URI_NAME ? [accessLocation.value as string] : []));
  return { ocsp: uris(Oid.adOcsp), caIssuers: uris(Oid.adCaIssuers) };
}

export function issuerAltNameDirectoryExtension(nameDer: Buffer): ExtensionInput {
  const directoryName = new pkijs.GeneralName({ type: DIRECTORY_NAME, value: pkijs.RelativeDistinguishedNames.fromBER(nameDer) });
  return { oid: Oid.issuerAltName, critical: false, value: generalNamesDer([directoryName.toSchema() as asn1js.AsnType]) };
}

export function decodeDirectoryNames(value: Buffer): DecodedName[] {
  return parsePkijs(pkijs.GeneralNames, value).names.flatMap((name) => (name.type === DIRECTORY_NAME ? [decodedName(name.value)] : []));
}

export function subjectAltNameExtension(generalNames: readonly asn1js.AsnType[]): ExtensionInput {
  return { oid: Oid.subjectAltName, critical: false, value: generalNamesDer(generalNames) };
}

export function generalNamesDer(generalNames: readonly asn1js.AsnType[]): Buffer {
  return asn1Der(new asn1js.Sequence({ value: [...generalNames] }));
}

/** otherName: `[0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }` (pkijs' GeneralName wraps it once more). */
export function otherName(typeId: string, value: asn1js.AsnType): asn1js.AsnType {
  const tagged = (tagNumber: number, inner: asn1js.AsnType[]) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value: inner });
  return tagged(OTHER_NAME, [new asn1js.ObjectIdentifier({ value: typeId }), tagged(0, [value])]);
}

export interface OtherName {
  readonly typeId: string;
  readonly value: asn1js.AsnType;
}

/** The otherNames of a GeneralNames value (subjectAltName). */
export function decodeOtherNames(generalNamesValue: Buffer): OtherName[] {
  const { names } = parsePkijs(pkijs.GeneralNames, generalNamesValue, 'GeneralNames');
  if (names.length === 0) throw new Asn1Error('GeneralNames must not be empty');
  return names.flatMap((name) => (name.type === OTHER_NAME ? [decodeOtherName(name.value as asn1js.AsnType)] : []));
}

function decodeOtherName(node: asn1js.AsnType): OtherName {
  const [typeId, value, ...rest] = childrenOf(node);
  const inner = value ? childrenOf(value) : [];
  if (!(typeId instanceof asn1js.ObjectIdentifier) || value?.idBlock.tagClass !== 3 || value.idBlock.tagNumber !== 0 || inner.length !== 1 || rest.length > 0) {
    throw new Asn1Error('otherName: expected type-id and [0] value');
  }
  return { typeId: typeId.valueBlock.toString(), value: inner[0] };
}
