import { Asn1Error, childrenOf, decodeDer, readObjectIdentifier, unwrapExplicit, type Asn1Node } from '../asn1/der-reader';
import { contextTag, explicit, ia5String, implicit, objectIdentifier, sequence, tlv } from '../asn1/der-writer';
import { decodeDistinguishedName, type DecodedName } from '../names/distinguished-name';

/** GeneralName (RFC 5280 §4.2.1.6) for the choices this toolkit uses. */
export type GeneralName =
  | { readonly kind: 'otherName'; readonly typeId: string; readonly value: Asn1Node }
  | { readonly kind: 'rfc822Name' | 'dNSName' | 'uniformResourceIdentifier'; readonly value: string }
  | { readonly kind: 'directoryName'; readonly name: DecodedName }
  | { readonly kind: 'unsupported'; readonly tag: number };

const IA5_CHOICES: Readonly<Record<number, 'rfc822Name' | 'dNSName' | 'uniformResourceIdentifier'>> = {
  1: 'rfc822Name',
  2: 'dNSName',
  6: 'uniformResourceIdentifier',
};

export function uriGeneralName(uri: string): Buffer {
  return implicit(6, ia5String(uri));
}

export function directoryGeneralName(nameDer: Buffer): Buffer {
  return explicit(4, nameDer);
}

/** otherName: `[0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }`. */
export function otherGeneralName(typeId: string, valueDer: Buffer): Buffer {
  return tlv(contextTag(0, true), Buffer.concat([objectIdentifier(typeId), explicit(0, valueDer)]));
}

export function encodeGeneralNames(names: readonly Buffer[]): Buffer {
  return sequence(...names);
}

export function decodeGeneralNames(input: Buffer | Asn1Node): GeneralName[] {
  const node = Buffer.isBuffer(input) ? decodeDer(input) : input;
  const names = childrenOf(node);
  if (names.length === 0) throw new Asn1Error('GeneralNames must not be empty');
  return names.map(decodeGeneralName);
}

export function decodeGeneralName(node: Asn1Node): GeneralName {
  if ((node.tag & 0xc0) !== 0x80) throw new Asn1Error('GeneralName must be context-tagged');
  const choice = node.tag & 0x1f;
  if (choice === 0) return decodeOtherName(node);
  if (choice === 4) return { kind: 'directoryName', name: decodeDistinguishedName(unwrapExplicit(node, 'directoryName')) };
  const ia5Kind = IA5_CHOICES[choice];
  if (ia5Kind && !node.constructed) return { kind: ia5Kind, value: decodeIa5(node.value) };
  return { kind: 'unsupported', tag: node.tag };
}

function decodeOtherName(node: Asn1Node): GeneralName {
  const [typeIdNode, valueNode, ...rest] = childrenOf(node);
  if (!typeIdNode || !valueNode || rest.length > 0 || valueNode.tag !== contextTag(0, true)) {
    throw new Asn1Error('otherName: expected type-id and [0] value');
  }
  return { kind: 'otherName', typeId: readObjectIdentifier(typeIdNode, 'otherName type-id'), value: unwrapExplicit(valueNode, 'otherName value') };
}

function decodeIa5(content: Buffer): string {
  if (content.some((byte) => byte > 0x7f)) throw new Asn1Error('IA5String with non-ASCII octet');
  return content.toString('ascii');
}
