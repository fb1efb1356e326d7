import {
  Asn1Error,
  childrenOf,
  decodeDer,
  expectTag,
  readObjectIdentifier,
  readString,
  sequenceChildren,
  type Asn1Node,
} from '../asn1/der-reader';
import { objectIdentifier, printableString, sequence, setOf, Tag, utf8String } from '../asn1/der-writer';
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

/**
 * DER Name. countryName and serialNumber are PrintableString (X.520); every DirectoryString is
 * UTF8String as RFC 5280 §4.1.2.6 asks of new certificates, so Japanese values need no special case.
 */
export function encodeDistinguishedName(name: DistinguishedName): Buffer {
  return sequence(...name.map(encodeRdn));
}

function encodeRdn({ type, value }: NameAttribute): Buffer {
  const printableOnly = type === 'C' || type === 'SERIALNUMBER';
  const encodedValue = printableOnly ? printableString(value) : utf8String(value);
  return setOf(sequence(objectIdentifier(ATTRIBUTE_OIDS[type]), encodedValue));
}

export interface DecodedNameAttribute {
  readonly oid: string;
  /** Short name when known, otherwise the dotted OID. */
  readonly type: NameAttributeType | string;
  readonly value: string;
  /** Universal tag of the string type used (0x0c UTF8String, 0x13 PrintableString, ...). */
  readonly stringTag: number;
}

export interface DecodedName {
  readonly raw: Buffer;
  /** Attributes in encoding order; multi-valued RDNs are flattened. */
  readonly attributes: readonly DecodedNameAttribute[];
  readonly multiValuedRdn: boolean;
}

export function decodeDistinguishedName(input: Buffer | Asn1Node): DecodedName {
  const node = Buffer.isBuffer(input) ? decodeDer(input) : input;
  const rdns = sequenceChildren(node, 'Name');
  const attributes = rdns.flatMap((rdn) => childrenOf(expectTag(rdn, Tag.SET, 'RelativeDistinguishedName')).map(decodeAttribute));
  if (rdns.some((rdn) => childrenOf(rdn).length === 0)) throw new Asn1Error('Name: empty RDN');
  return { raw: node.raw, attributes, multiValuedRdn: attributes.length !== rdns.length };
}

function decodeAttribute(node: Asn1Node): DecodedNameAttribute {
  const [typeNode, valueNode, ...rest] = sequenceChildren(node, 'AttributeTypeAndValue');
  if (!typeNode || !valueNode || rest.length > 0) throw new Asn1Error('AttributeTypeAndValue: wrong arity');
  const oid = readObjectIdentifier(typeNode, 'AttributeType');
  return {
    oid,
    type: ATTRIBUTE_TYPES_BY_OID.get(oid) ?? oid,
    value: readString(valueNode, `attribute ${oid}`),
    stringTag: valueNode.tag,
  };
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
