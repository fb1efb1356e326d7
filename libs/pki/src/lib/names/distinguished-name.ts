import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { Asn1Error, asn1Der, childrenOf, parseDer, receivedDer } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';

export type NameAttributeType = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN' | 'SERIALNUMBER' | 'E';

export interface NameAttribute {
  readonly type: NameAttributeType;
  readonly value: string;
}

/** A DN as an ordered list of single-valued RDNs, most significant first (C=JP, O=…, CN=…). */
export type DistinguishedName = readonly NameAttribute[];

const ATTRIBUTE_OIDS: Readonly<Record<NameAttributeType, string>> = {
  C: Oid.countryName,
  ST: Oid.stateOrProvinceName,
  L: Oid.localityName,
  O: Oid.organizationName,
  OU: Oid.organizationalUnitName,
  CN: Oid.commonName,
  SERIALNUMBER: Oid.serialNumber,
  E: Oid.emailAddress,
};

const ATTRIBUTE_TYPES_BY_OID: ReadonlyMap<string, NameAttributeType> = new Map(
  Object.entries(ATTRIBUTE_OIDS).map(([type, oid]) => [oid, type as NameAttributeType]),
);

/** X.520 / RFC 5280 Appendix A upper bounds, in characters. */
export const NAME_ATTRIBUTE_UPPER_BOUNDS: Readonly<Record<NameAttributeType, number>> = {
  C: 2,
  ST: 128,
  L: 128,
  O: 64,
  OU: 64,
  CN: 64,
  SERIALNUMBER: 64,
  E: 255,
};

export function nameAttributeUpperBound(type: string): number | undefined {
  return (NAME_ATTRIBUTE_UPPER_BOUNDS as Readonly<Record<string, number | undefined>>)[type];
}

const PRINTABLE_STRING_PATTERN = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * DER Name. countryName and serialNumber are PrintableString (X.520); every DirectoryString is
 * UTF8String as RFC 5280 §4.1.2.6 asks of new certificates, so Japanese values need no special case.
 */
export function encodeDistinguishedName(name: DistinguishedName): Buffer {
  return asn1Der(new asn1js.Sequence({ value: name.map(encodeRdn) }));
}

function encodeRdn({ type, value }: NameAttribute): asn1js.Set {
  const printableOnly = type === 'C' || type === 'SERIALNUMBER';
  if (printableOnly && !PRINTABLE_STRING_PATTERN.test(value)) throw new RangeError(`not a PrintableString: ${JSON.stringify(value)}`);
  const encodedValue = printableOnly ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
  return new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ATTRIBUTE_OIDS[type] }), encodedValue] })] });
}

export interface DecodedNameAttribute {
  readonly oid: string;
  /** Short name when known, otherwise the dotted OID. */
  readonly type: NameAttributeType | string;
  readonly value: string;
  /** Universal tag number of the string type used (12 UTF8String, 19 PrintableString, ...). */
  readonly stringTag: number;
}

export interface DecodedName {
  readonly raw: Buffer;
  /** Attributes in encoding order; multi-valued RDNs are flattened. */
  readonly attributes: readonly DecodedNameAttribute[];
  readonly multiValuedRdn: boolean;
}

const DIRECTORY_STRING_TAGS = new Set([12, 19, 20, 22, 26, 30]);

export function decodeDistinguishedName(der: Buffer): DecodedName {
  return decodeNameNode(parseDer(der, 'Name'));
}

/** A Name already parsed as part of a DER structure (its checks done), read without parsing it again. */
export function decodeNameNode(name: asn1js.AsnType): DecodedName {
  if (!(name instanceof asn1js.Sequence)) throw new Asn1Error('Name: expected a SEQUENCE');
  const rdns = childrenOf(name);
  if (rdns.some((rdn) => !(rdn instanceof asn1js.Set) || childrenOf(rdn).length === 0)) throw new Asn1Error('Name: empty or malformed RDN');
  const attributes = rdns.flatMap((rdn) => childrenOf(rdn).map(decodeAttribute));
  return { raw: receivedDer(name), attributes, multiValuedRdn: attributes.length !== rdns.length };
}

/** The toolkit's view of a Name pkijs decoded, from the bytes it was decoded from (pkijs keeps them). */
export function decodedName(name: pkijs.RelativeDistinguishedNames): DecodedName {
  return decodeDistinguishedName(Buffer.from(name.valueBeforeDecode));
}

function decodeAttribute(node: asn1js.AsnType): DecodedNameAttribute {
  const [type, value, ...rest] = childrenOf(node);
  if (!(node instanceof asn1js.Sequence) || !(type instanceof asn1js.ObjectIdentifier) || !value || rest.length > 0) {
    throw new Asn1Error('AttributeTypeAndValue: expected an OID and a value');
  }
  const oid = type.valueBlock.toString();
  const stringTag = value.idBlock.tagNumber;
  if (value.idBlock.tagClass !== 1 || !DIRECTORY_STRING_TAGS.has(stringTag)) throw new Asn1Error(`attribute ${oid}: unsupported string tag ${stringTag}`);
  return { oid, type: ATTRIBUTE_TYPES_BY_OID.get(oid) ?? oid, value: (value as asn1js.Utf8String).getValue(), stringTag };
}

/** One-line form in encoding order, `C=JP, O=JPKI, CN=…`, with RFC 4514 escaping of special characters. */
export function formatDistinguishedName(name: DistinguishedName | DecodedName): string {
  const attributes = 'attributes' in name ? name.attributes : name;
  return attributes.map(({ type, value }) => `${type}=${escapeAttributeValue(value)}`).join(', ');
}

function escapeAttributeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** RFC 5280 §7.1 style comparison: same attribute types in order, values equal after case folding and space folding. */
export function distinguishedNamesMatch(a: DecodedName, b: DecodedName): boolean {
  if (a.raw.equals(b.raw)) return true;
  if (a.attributes.length !== b.attributes.length) return false;
  return a.attributes.every((attribute, i) => {
    const other = b.attributes[i];
    return attribute.oid === other.oid && foldForComparison(attribute.value) === foldForComparison(other.value);
  });
}

function foldForComparison(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}
