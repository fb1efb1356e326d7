import { createPublicKey, KeyObject } from 'node:crypto';
import { CommandApdu } from '../apdu/command-apdu';
import { ResponseApdu } from '../apdu/response-apdu';
import { fromHex } from '../bytes';
import { buildInstallParameters } from '../commands/install';
import { GP_CLA, Ins, ISO_CLA } from '../commands/instructions';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlv, decodeTlvs, encodeTlv, requireTlv } from '../tlv/ber-tlv';

/**
 * APDU interface of the JPKI applet shared by the SP-TSM, the handset (JPKI-UI app) and the virtual UICC. One module,
 * one instance per key: the user-authentication instance and, when the person asks for it, the signing instance, each
 * with its own key, certificate, PIN or password and try counter behind the applet firewall. Byte formats are
 * described in libs/uicc/README.md.
 */
export const JpkiAid = {
  LOAD_FILE: fromHex('D392F00026010000'),
  MODULE: fromHex('D392F0002601000001'),
  DEFAULT_INSTANCE: fromHex('D392F000260100000101'),
  SIGNING_INSTANCE: fromHex('D392F000260100000102'),
} as const;

/** Which key an instance holds; fixed at INSTALL by the role byte in C9 (absent: user authentication). */
export type JpkiKeyRole = 'user-authentication' | 'signing';

/** The reference data that unlocks an instance's key: reference (VERIFY P2), format and tries. */
export interface JpkiPinRule {
  readonly role: JpkiKeyRole;
  readonly reference: number;
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly tries: number;
  readonly description: string;
}

export const JPKI_PIN_RULES: Readonly<Record<JpkiKeyRole, JpkiPinRule>> = {
  'user-authentication': {
    role: 'user-authentication',
    reference: 0x81,
    pattern: /^[0-9]{4}$/,
    maxLength: 4,
    tries: 3,
    description: 'the JPKI user-authentication PIN is 4 digits',
  },
  signing: {
    role: 'signing',
    reference: 0x82,
    pattern: /^[0-9A-Z]{6,16}$/,
    maxLength: 16,
    tries: 5,
    description: 'the JPKI signing password is 6–16 upper-case letters and digits',
  },
};

const ROLE_BYTES: Readonly<Record<JpkiKeyRole, number>> = { 'user-authentication': 0x01, signing: 0x02 };
/** Padding of a variable-length password inside CHANGE REFERENCE DATA (old and new, each padded to its maximum). */
const PASSWORD_PAD = 0xff;

export const jpkiInstanceAid = (role: JpkiKeyRole): Buffer => (role === 'signing' ? JpkiAid.SIGNING_INSTANCE : JpkiAid.DEFAULT_INSTANCE);

export function jpkiInstallParameters(role: JpkiKeyRole): Buffer {
  return buildInstallParameters({ applicationSpecific: Buffer.from([ROLE_BYTES[role]]) });
}

/** The role an INSTALL's C9 names; undefined for a byte no role has. */
export function jpkiRoleOf(applicationSpecific: Buffer): JpkiKeyRole | undefined {
  if (applicationSpecific.length === 0) return 'user-authentication';
  if (applicationSpecific.length !== 1) return undefined;
  return (Object.keys(ROLE_BYTES) as JpkiKeyRole[]).find((role) => ROLE_BYTES[role] === applicationSpecific[0]);
}

/** Data objects of the applet: personalization (STORE DATA through the SSD) and public key template. */
export const JpkiTag = {
  CONTENT_KEY: 0xdf01,
  PRIVATE_KEY: 0xdf02,
  CERTIFICATE: 0xdf03,
  PUBLIC_KEY_TEMPLATE: 0x7f49,
  MODULUS: 0x81,
  PUBLIC_EXPONENT: 0x82,
} as const;

export const JPKI_CERTIFICATE_SFI = 0x0a;
export const JPKI_RSA_BITS = 2048;

/** PSO: COMPUTE DIGITAL SIGNATURE, input = DigestInfo (ISO 7816-8). */
export const JpkiSignatureP1P2 = { P1: 0x9e, P2: 0x9a } as const;
export const JpkiGenerateP1 = { GENERATE: 0x80, READ_PUBLIC_KEY: 0x81 } as const;
export const JpkiChangeReferenceP1 = { CHANGE: 0x00, SET_INITIAL: 0x01 } as const;
export const JpkiResetRetryCounterP1 = { NEW_PIN: 0x02, RESET_ONLY: 0x03 } as const;

const USER_PIN = JPKI_PIN_RULES['user-authentication'];

export function encodePin(pin: string, rule: JpkiPinRule = USER_PIN): Buffer {
  if (!rule.pattern.test(pin)) {
    throw new SwError(Sw.WRONG_DATA, rule.description);
  }
  return Buffer.from(pin, 'ascii');
}

/** Old and new reference data for CHANGE REFERENCE DATA: a fixed-length PIN as is, a password padded to its maximum. */
function encodePinPair(current: string, next: string, rule: JpkiPinRule): Buffer {
  const padded = (pin: string) => {
    const value = encodePin(pin, rule);
    return Buffer.concat([value, Buffer.alloc(rule.maxLength - value.length, PASSWORD_PAD)]);
  };
  return Buffer.concat([padded(current), padded(next)]);
}

/** Splits CHANGE REFERENCE DATA into the current and the new reference data (undefined: not two of this rule's size). */
export function splitPinPair(data: Buffer, rule: JpkiPinRule): [Buffer, Buffer] | undefined {
  if (data.length !== 2 * rule.maxLength) return undefined;
  const unpadded = (value: Buffer) => {
    const end = value.indexOf(PASSWORD_PAD);
    return end < 0 ? value : value.subarray(0, end);
  };
  return [unpadded(data.subarray(0, rule.maxLength)), unpadded(data.subarray(rule.maxLength))];
}

export function buildVerify(pin?: string, rule: JpkiPinRule = USER_PIN): CommandApdu {
  return new CommandApdu(ISO_CLA, Ins.VERIFY, 0x00, rule.reference, pin === undefined ? Buffer.alloc(0) : encodePin(pin, rule));
}

/** Without `currentPin` this sets the initial PIN (P1=01), accepted only while no PIN is set. */
export function buildChangeReferenceData(newPin: string, currentPin?: string, rule: JpkiPinRule = USER_PIN): CommandApdu {
  const p1 = currentPin === undefined ? JpkiChangeReferenceP1.SET_INITIAL : JpkiChangeReferenceP1.CHANGE;
  const data = currentPin === undefined ? encodePin(newPin, rule) : encodePinPair(currentPin, newPin, rule);
  return new CommandApdu(ISO_CLA, Ins.CHANGE_REFERENCE_DATA, p1, rule.reference, data);
}

/** RESET RETRY COUNTER, optionally with a new PIN; the card accepts it only through the SSD's secure channel. */
export function buildResetRetryCounter(newPin?: string, rule: JpkiPinRule = USER_PIN): CommandApdu {
  return newPin === undefined
    ? new CommandApdu(ISO_CLA, Ins.RESET_RETRY_COUNTER, JpkiResetRetryCounterP1.RESET_ONLY, rule.reference)
    : new CommandApdu(ISO_CLA, Ins.RESET_RETRY_COUNTER, JpkiResetRetryCounterP1.NEW_PIN, rule.reference, encodePin(newPin, rule));
}

/** On-card RSA-2048 generation (SSD secure channel, C-MAC); answers the 7F49 public key template. */
export function buildGenerateKeyPair(): CommandApdu {
  return new CommandApdu(ISO_CLA, Ins.GENERATE_ASYMMETRIC_KEY_PAIR, JpkiGenerateP1.GENERATE, 0x00, Buffer.alloc(0), 256);
}

export function buildReadPublicKey(): CommandApdu {
  return new CommandApdu(ISO_CLA, Ins.GENERATE_ASYMMETRIC_KEY_PAIR, JpkiGenerateP1.READ_PUBLIC_KEY, 0x00, Buffer.alloc(0), 256);
}

/** PSO: COMPUTE DIGITAL SIGNATURE over a SHA-256 DigestInfo; needs a VERIFY in the same selection. */
export function buildSign(digestInfo: Buffer): CommandApdu {
  return new CommandApdu(ISO_CLA, Ins.PERFORM_SECURITY_OPERATION, JpkiSignatureP1P2.P1, JpkiSignatureP1P2.P2, digestInfo, 256);
}

/**
 * Proof of possession: the proprietary-class signature the SP-TSM uses to sign a CSR without the user's PIN.
 * Accepted only through the SSD's secure channel while the key has no certificate yet.
 */
export function buildProofOfPossession(digestInfo: Buffer): CommandApdu {
  return new CommandApdu(GP_CLA, Ins.PERFORM_SECURITY_OPERATION, JpkiSignatureP1P2.P1, JpkiSignatureP1P2.P2, digestInfo, 256);
}

/** READ BINARY of the certificate EF: by SFI at offset 0..255, or by offset once the EF is current. */
export function buildReadCertificate(offset: number, ne = 256): CommandApdu {
  if (offset < 0 || offset > 0x7fff) {
    throw new RangeError(`offset out of range: ${offset}`);
  }
  const bySfi = offset <= 0xff;
  const p1 = bySfi ? 0x80 | JPKI_CERTIFICATE_SFI : offset >> 8;
  return new CommandApdu(ISO_CLA, Ins.READ_BINARY, p1, offset & 0xff, Buffer.alloc(0), ne);
}

/**
 * Reads the whole certificate with READ BINARY (first block by SFI, then by offset), however the
 * APDUs travel. Resolves with an empty buffer when the applet holds no certificate.
 */
export async function readJpkiCertificate(transmit: (command: CommandApdu) => Promise<ResponseApdu>): Promise<Buffer> {
  const first = await transmit(buildReadCertificate(0));
  if (!first.isOk) return Buffer.alloc(0);
  const total = derElementLength(first.data);
  const chunks = [first.data];
  for (let offset = first.data.length; offset < total; ) {
    const next = await transmit(buildReadCertificate(offset));
    if (!next.isOk || next.data.length === 0) throw new SwError(next.sw, `READ BINARY at ${offset} failed`);
    chunks.push(next.data);
    offset += next.data.length;
  }
  return Buffer.concat(chunks).subarray(0, total);
}

/** Length of the DER element at the start of `der` (tag, length octets and content). */
export function derElementLength(der: Buffer): number {
  if (der.length < 2 || der[1] < 0x80) return der.length < 2 ? der.length : 2 + der[1];
  const octets = der[1] & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i];
  return 2 + octets + length;
}

export interface RsaPublicKeyComponents {
  readonly modulus: Buffer;
  readonly exponent: Buffer;
}

export function encodePublicKeyTemplate(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new SwError(Sw.NO_PRECISE_DIAGNOSIS, 'not an RSA public key');
  }
  return encodeTlv(JpkiTag.PUBLIC_KEY_TEMPLATE, [
    { tag: JpkiTag.MODULUS, value: Buffer.from(jwk.n, 'base64url') },
    { tag: JpkiTag.PUBLIC_EXPONENT, value: Buffer.from(jwk.e, 'base64url') },
  ]);
}

export function parsePublicKeyTemplate(data: Buffer): RsaPublicKeyComponents {
  const template = decodeTlv(data);
  if (template.tag !== JpkiTag.PUBLIC_KEY_TEMPLATE) {
    throw new SwError(Sw.WRONG_DATA, 'expected a 7F49 public key template');
  }
  const fields = decodeTlvs(template.value);
  return { modulus: requireTlv(fields, JpkiTag.MODULUS).value, exponent: requireTlv(fields, JpkiTag.PUBLIC_EXPONENT).value };
}

export function publicKeyFromTemplate(data: Buffer): KeyObject {
  const { modulus, exponent } = parsePublicKeyTemplate(data);
  return createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') },
    format: 'jwk',
  });
}
