import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { toDer, toPem } from '../encoding/pem';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_RSA_MODULUS_BITS = 2048;
export const RSA_PUBLIC_EXPONENT = 65537;

export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFormatError';
  }
}

/** RSA key pair (e = 65537) generated off the event loop; 2048-bit keygen takes ~50–550 ms. */
export async function generateRsaKeyPair(modulusBits = DEFAULT_RSA_MODULUS_BITS): Promise<RsaKeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: modulusBits, publicExponent: RSA_PUBLIC_EXPONENT });
}

export function exportSpkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function exportSpkiPem(key: KeyObject): string {
  return toPem(exportSpkiDer(key), 'PUBLIC KEY');
}

export function exportPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

export function exportPkcs8Pem(privateKey: KeyObject): string {
  return toPem(exportPkcs8Der(privateKey), 'PRIVATE KEY');
}

/** Private key from PKCS#8 DER or PEM. */
export function importPkcs8PrivateKey(input: Buffer | string): KeyObject {
  return createPrivateKey({ key: toDer(input, 'PRIVATE KEY'), format: 'der', type: 'pkcs8' });
}

/** Public key from SubjectPublicKeyInfo DER or PEM. */
export function importSpkiPublicKey(input: Buffer | string): KeyObject {
  try {
    return createPublicKey({ key: toDer(input, 'PUBLIC KEY'), format: 'der', type: 'spki' });
  } catch (error) {
    throw new KeyFormatError(`unparseable SubjectPublicKeyInfo: ${(error as Error).message}`);
  }
}

export interface RsaPublicKeyComponents {
  /** Big-endian unsigned modulus; a leading 0x00 is tolerated. */
  readonly modulus: Buffer;
  /** Big-endian unsigned public exponent. */
  readonly exponent: Buffer;
}

/** SubjectPublicKeyInfo DER for an RSA public key given as modulus and exponent (e.g. from a card applet). */
export function rsaSpkiFromComponents({ modulus, exponent }: RsaPublicKeyComponents): Buffer {
  const n = stripLeadingZeros(modulus);
  const e = stripLeadingZeros(exponent);
  if (n.length === 0 || e.length === 0) throw new KeyFormatError('empty RSA modulus or exponent');
  const key = createPublicKey({
    key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
    format: 'jwk',
  });
  return exportSpkiDer(key);
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/**
 * Parses the ISO 7816-8 public key template a card applet returns for GENERATE ASYMMETRIC KEY PAIR:
 * `7F49 L { 81 L modulus, 82 L exponent }` (BER-TLV with one- or two-octet tags).
 */
export function parseRsaPublicKeyTemplate(template: Buffer): RsaPublicKeyComponents {
  const outer = readBerTlv(template, 0);
  if (outer.tag !== 0x7f49 || outer.end !== template.length) {
    throw new KeyFormatError('expected a single 7F49 public key template');
  }
  const fields = new Map<number, Buffer>();
  for (let offset = 0; offset < outer.value.length; ) {
    const field = readBerTlv(outer.value, offset);
    fields.set(field.tag, field.value);
    offset = field.end;
  }
  const modulus = fields.get(0x81);
  const exponent = fields.get(0x82);
  if (!modulus || !exponent) throw new KeyFormatError('7F49 template lacks modulus (81) or exponent (82)');
  return { modulus, exponent };
}

export function rsaSpkiFromPublicKeyTemplate(template: Buffer): Buffer {
  return rsaSpkiFromComponents(parseRsaPublicKeyTemplate(template));
}

function readBerTlv(input: Buffer, start: number): { tag: number; value: Buffer; end: number } {
  let offset = start;
  let tag = input[offset++];
  if ((tag & 0x1f) === 0x1f) tag = (tag << 8) | input[offset++];
  const first = input[offset++];
  let length = first;
  if (first > 0x80) {
    const octets = first & 0x7f;
    if (octets > 3) throw new KeyFormatError('BER-TLV length too large');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + input[offset++];
  } else if (first === 0x80 || first === undefined) {
    throw new KeyFormatError('malformed BER-TLV length');
  }
  const end = offset + length;
  if (end > input.length) throw new KeyFormatError('truncated BER-TLV');
  return { tag, value: input.subarray(offset, end), end };
}

export interface PublicKeyDescription {
  readonly algorithm: 'RSA' | 'EC' | 'other';
  /** Node's key type name, e.g. `rsa`, `rsa-pss`, `ec`, `ed25519`. */
  readonly keyType: string;
  readonly modulusBits?: number;
  readonly publicExponent?: bigint;
  readonly namedCurve?: string;
}

/** Algorithm and size of a SubjectPublicKeyInfo, for policy checks and summaries. */
export function describePublicKey(spki: Buffer): PublicKeyDescription {
  const key = importSpkiPublicKey(spki);
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (keyType === 'rsa') {
    return { algorithm: 'RSA', keyType, modulusBits: details.modulusLength, publicExponent: details.publicExponent };
  }
  if (keyType === 'ec') return { algorithm: 'EC', keyType, namedCurve: details.namedCurve };
  return { algorithm: 'other', keyType };
}
