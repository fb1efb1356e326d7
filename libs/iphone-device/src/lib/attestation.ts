/**
 * SIMULATED Apple-like device key attestation (App Attest / Managed Device Attestation style). Nothing
 * here is Apple's: the vendor CA, its names and the extension OID (RFC 5612 documentation arc) are invented.
 *
 * Statement (transported base64): UTF-8 JSON `{ "fmt": "jpki-sim-iphone-key-attestation/1", "x5c": [leaf, CA…] }`,
 * certificates as base64 DER, leaf first, root not included. The leaf certifies the attested key itself
 * (its SubjectPublicKeyInfo IS the device key) and carries the extension `KeyAttestation`:
 *
 *   KeyAttestation ::= SEQUENCE {
 *     version          INTEGER (1),
 *     nonce            OCTET STRING (SIZE(32)),  -- SHA-256( UTF-8(application nonce) ‖ keyId )
 *     keyId            OCTET STRING (SIZE(32)),  -- SHA-256( uncompressed P-256 point 04‖X‖Y )
 *     deviceId         UTF8String,
 *     keyPurpose       ENUMERATED { signing(0), keyAgreement(1) },
 *     biometryRequired BOOLEAN,                  -- usable only after Face ID / Touch ID (current set)
 *     nonExportable    BOOLEAN,                  -- generated in (or imported into) the Secure Enclave
 *     origin           ENUMERATED { generated(0), imported(1) }
 *   }
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  Asn1Error,
  basicConstraintsExtension,
  buildPlainTbsCertificate,
  decodeCertificate,
  issuePlainCertificate,
  keyUsageExtension,
  parseDer,
  parseEcP256Spki,
  signatureAlgorithmFor,
  signedEnvelope,
  SoftwareEcdsaSigner,
  validateCertificate,
  type DistinguishedName,
  type ExtensionInput,
  type Signer,
} from '@jpki/pki';

export const ATTESTATION_FORMAT = 'jpki-sim-iphone-key-attestation/1';
/** RFC 5612 documentation enterprise number 32473; sub-arc 641 = the SIMULATED device vendor. */
export const SIMULATED_VENDOR_ARC = '1.3.6.1.4.1.32473.641';
export const KEY_ATTESTATION_OID = `${SIMULATED_VENDOR_ARC}.1.1`;
const VENDOR_ORGANIZATION = 'SIMULATED Apple-like Device Attestation';
/** Attestation leaves live a few days, like App Attest credentials. */
export const ATTESTATION_LEAF_VALIDITY_MS = 3 * 86_400_000;
const DAY_MS = 86_400_000;

export type AttestedKeyPurpose = 'signing' | 'key-agreement';

export interface KeyAttestationClaims {
  readonly nonce: Buffer;
  readonly keyId: Buffer;
  readonly deviceId: string;
  readonly keyPurpose: AttestedKeyPurpose;
  readonly biometryRequired: boolean;
  readonly nonExportable: boolean;
  readonly origin: 'generated' | 'imported';
}

/** App Attest's key identifier: SHA-256 of the uncompressed P-256 point. */
export function deviceKeyId(publicKeySpki: Buffer): Buffer {
  return createHash('sha256').update(parseEcP256Spki(publicKeySpki).point).digest();
}

/** The key identifier as it travels in the signed application (`deviceKeyId`): base64url, 43 characters. */
export function deviceKeyIdText(publicKeySpki: Buffer): string {
  return deviceKeyId(publicKeySpki).toString('base64url');
}

/** The nonce the attestation carries: SHA-256(UTF-8(application nonce) ‖ keyId). */
export function attestationNonce(applicationNonce: string, keyId: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from(applicationNonce, 'utf8')).update(keyId).digest();
}

export function encodeKeyAttestationExtension(claims: KeyAttestationClaims): ExtensionInput {
  const octets = (bytes: Buffer) => new asn1js.OctetString({ valueHex: Uint8Array.from(bytes).buffer });
  const attestation = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      octets(claims.nonce),
      octets(claims.keyId),
      new asn1js.Utf8String({ value: claims.deviceId }),
      new asn1js.Enumerated({ value: claims.keyPurpose === 'signing' ? 0 : 1 }),
      new asn1js.Boolean({ value: claims.biometryRequired }),
      new asn1js.Boolean({ value: claims.nonExportable }),
      new asn1js.Enumerated({ value: claims.origin === 'generated' ? 0 : 1 }),
    ],
  });
  return { oid: KEY_ATTESTATION_OID, critical: false, value: Buffer.from(attestation.toBER()) };
}

const KEY_ATTESTATION_MEMBERS = [asn1js.Integer, asn1js.OctetString, asn1js.OctetString, asn1js.Utf8String, asn1js.Enumerated, asn1js.Boolean, asn1js.Boolean, asn1js.Enumerated];

export function decodeKeyAttestationExtension(value: Buffer): KeyAttestationClaims {
  const attestation = parseDer(value, 'KeyAttestation');
  const members = attestation instanceof asn1js.Sequence ? attestation.valueBlock.value : [];
  if (members.length !== KEY_ATTESTATION_MEMBERS.length || members.some((member, i) => !(member instanceof KEY_ATTESTATION_MEMBERS[i]))) {
    throw new Asn1Error('KeyAttestation: expected version, nonce, keyId, deviceId, keyPurpose, biometryRequired, nonExportable, origin');
  }
  const [version, nonceValue, keyIdValue, deviceId, purpose, biometryRequired, nonExportable, origin] = members as [
    asn1js.Integer,
    asn1js.OctetString,
    asn1js.OctetString,
    asn1js.Utf8String,
    asn1js.Enumerated,
    asn1js.Boolean,
    asn1js.Boolean,
    asn1js.Enumerated,
  ];
  if (version.toBigInt() !== 1n) throw new Asn1Error(`KeyAttestation version ${version.toBigInt()}`);
  const [nonce, keyId] = [Buffer.from(nonceValue.getValue()), Buffer.from(keyIdValue.getValue())];
  if (nonce.length !== 32 || keyId.length !== 32) throw new Asn1Error('nonce and keyId must be 32 octets');
  const [purposeCode, originCode] = [purpose.toBigInt(), origin.toBigInt()];
  if (purposeCode < 0n || purposeCode > 1n || originCode < 0n || originCode > 1n) throw new Asn1Error('unknown keyPurpose or origin');
  return {
    nonce,
    keyId,
    deviceId: deviceId.getValue(),
    keyPurpose: purposeCode === 0n ? 'signing' : 'key-agreement',
    biometryRequired: biometryRequired.getValue(),
    nonExportable: nonExportable.getValue(),
    origin: originCode === 0n ? 'generated' : 'imported',
  };
}

/** base64 of the UTF-8 JSON statement. */
export function encodeAttestationStatement(x5c: readonly Buffer[]): string {
  return Buffer.from(JSON.stringify({ fmt: ATTESTATION_FORMAT, x5c: x5c.map((der) => der.toString('base64')) }), 'utf8').toString('base64');
}

export function decodeAttestationStatement(statement: string): Buffer[] {
  const json: unknown = JSON.parse(Buffer.from(statement, 'base64').toString('utf8'));
  if (!json || typeof json !== 'object') throw new Error('attestation statement is not a JSON object');
  const { fmt, x5c } = json as { fmt?: unknown; x5c?: unknown };
  if (fmt !== ATTESTATION_FORMAT) throw new Error(`unknown attestation format ${String(fmt)}`);
  if (!Array.isArray(x5c) || x5c.length < 1 || x5c.length > 4 || !x5c.every((c) => typeof c === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(c))) {
    throw new Error('x5c must hold 1–4 base64 DER certificates');
  }
  return x5c.map((c: string) => Buffer.from(c, 'base64'));
}

export interface AttestationAuthorityJson {
  readonly format: 'jpki-sim-device-attestation-ca/1';
  /** Root certificate, DER base64 (the trust anchor relying parties configure). */
  readonly root: string;
  /** Intermediate certificate, DER base64. */
  readonly intermediate: string;
  /** The intermediate's P-256 private key, PKCS#8 DER base64 (the root key is discarded after use). */
  readonly intermediateKey: string;
}

export interface CertifyKeyRequest {
  readonly publicKeySpki: Buffer;
  readonly claims: Omit<KeyAttestationClaims, 'keyId'>;
  readonly now?: Date;
}

/**
 * The SIMULATED platform vendor's attestation CA: an ECDSA P-256 root (offline: its key is discarded
 * once the intermediate exists) and an intermediate that certifies Secure Enclave keys. In the real
 * world the device proves to the vendor with a hardware identity that the request comes from a genuine
 * enclave; here the vendor trusts its caller, the simulated enclave (see docs/IPHONE-METHODS.md).
 */
export class SimulatedAttestationAuthority {
  private constructor(
    readonly rootCertificate: Buffer,
    readonly intermediateCertificate: Buffer,
    private readonly intermediateKey: KeyObject,
  ) {}

  /** A fresh vendor hierarchy (synchronous: P-256 keys and signatures take microseconds). */
  static generate(now = new Date(), name = 'SIMULATED Device Attestation'): SimulatedAttestationAuthority {
    const root = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const intermediate = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const rootSpki = root.publicKey.export({ type: 'spki', format: 'der' });
    const intermediateSpki = intermediate.publicKey.export({ type: 'spki', format: 'der' });
    const start = new Date(Math.floor(now.getTime() / 1000) * 1000 - DAY_MS);
    const caExtensions = (pathLength: number) => [basicConstraintsExtension({ ca: true, pathLength }), keyUsageExtension(['keyCertSign', 'cRLSign'])];
    const rootCertificate = signSync(
      {
        serialNumber: randomBytes(12).toString('hex').replace(/^./, '1'),
        subject: vendorName(`${name} Root CA`),
        subjectPublicKeyInfo: rootSpki,
        validity: { notBefore: start, notAfter: new Date(start.getTime() + 20 * 365 * DAY_MS) },
        extensions: caExtensions(1),
      },
      root.privateKey,
      undefined,
    );
    const intermediateCertificate = signSync(
      {
        serialNumber: randomBytes(12).toString('hex').replace(/^./, '2'),
        subject: vendorName(`${name} CA 1`),
        subjectPublicKeyInfo: intermediateSpki,
        validity: { notBefore: start, notAfter: new Date(start.getTime() + 10 * 365 * DAY_MS) },
        extensions: caExtensions(0),
      },
      root.privateKey,
      rootCertificate,
    );
    return new SimulatedAttestationAuthority(rootCertificate, intermediateCertificate, intermediate.privateKey);
  }

  static fromJSON(json: AttestationAuthorityJson | string): SimulatedAttestationAuthority {
    const value: AttestationAuthorityJson = typeof json === 'string' ? JSON.parse(json) : json;
    if (value.format !== 'jpki-sim-device-attestation-ca/1') throw new Error(`unknown attestation CA format ${String(value.format)}`);
    const key = createPrivateKey({ key: Buffer.from(value.intermediateKey, 'base64'), format: 'der', type: 'pkcs8' });
    return new SimulatedAttestationAuthority(Buffer.from(value.root, 'base64'), Buffer.from(value.intermediate, 'base64'), key);
  }

  toJSON(): AttestationAuthorityJson {
    return {
      format: 'jpki-sim-device-attestation-ca/1',
      root: this.rootCertificate.toString('base64'),
      intermediate: this.intermediateCertificate.toString('base64'),
      intermediateKey: this.intermediateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    };
  }

  /** What a relying CA configures: `DEVICE_ATTESTATION_ROOTS` (comma-separated base64 DER). */
  get trustAnchorBase64(): string {
    return this.rootCertificate.toString('base64');
  }

  /** Certifies a device key with its claims; returns the statement (base64). */
  async certifyKey(request: CertifyKeyRequest): Promise<string> {
    const now = request.now ?? new Date();
    const keyId = deviceKeyId(request.publicKeySpki);
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 5 * 60_000);
    const signer: Signer = new SoftwareEcdsaSigner(this.intermediateKey);
    const leaf = await issuePlainCertificate({
      serialNumber: randomBytes(16).toString('hex').replace(/^./, '3'),
      subject: [
        { type: 'O', value: VENDOR_ORGANIZATION },
        { type: 'CN', value: keyId.toString('hex').toUpperCase() },
      ],
      subjectPublicKeyInfo: request.publicKeySpki,
      validity: { notBefore, notAfter: new Date(notBefore.getTime() + ATTESTATION_LEAF_VALIDITY_MS) },
      issuer: { signer, certificate: this.intermediateCertificate },
      extensions: [
        keyUsageExtension(request.claims.keyPurpose === 'signing' ? ['digitalSignature'] : ['keyAgreement']),
        encodeKeyAttestationExtension({ ...request.claims, keyId }),
      ],
    });
    return encodeAttestationStatement([leaf, this.intermediateCertificate]);
  }
}

function vendorName(commonName: string): DistinguishedName {
  return [
    { type: 'C', value: 'US' },
    { type: 'O', value: VENDOR_ORGANIZATION },
    { type: 'CN', value: commonName },
  ];
}

function signSync(
  request: { serialNumber: string; subject: DistinguishedName; subjectPublicKeyInfo: Buffer; validity: { notBefore: Date; notAfter: Date }; extensions: ExtensionInput[] },
  issuerKey: KeyObject,
  issuerCertificate: Buffer | undefined,
): Buffer {
  const issuerSpki = createPublicKey(issuerKey).export({ type: 'spki', format: 'der' });
  const placeholder: Signer = { publicKeySpki: issuerSpki, signatureAlgorithm: 'ecdsa-with-SHA256', sign: () => Promise.reject(new Error('synchronous path')) };
  const tbs = buildPlainTbsCertificate({ ...request, issuer: { signer: placeholder, certificate: issuerCertificate } });
  const signature = sign('sha256', tbs, { key: issuerKey, dsaEncoding: 'der' });
  const certificate = signedEnvelope(tbs, signatureAlgorithmFor(placeholder), signature);
  decodeCertificate(certificate);
  return certificate;
}

// ---------- verification (the JPKI CA's side) ----------

export type AttestationRefusal =
  | 'ATTESTATION_MALFORMED'
  | 'ATTESTATION_UNTRUSTED'
  | 'ATTESTATION_EXPIRED'
  | 'ATTESTATION_KEY_MISMATCH'
  | 'ATTESTATION_NONCE_MISMATCH'
  | 'ATTESTATION_DEVICE_MISMATCH'
  | 'ATTESTATION_KEY_POLICY';

export interface VerifyAttestationOptions {
  /** The statement as received (base64). */
  readonly attestation: string;
  /** The key the CA is asked to certify (CSR key) or to deliver to (key-agreement key). */
  readonly publicKeySpki: Buffer;
  /** The nonce of the card-signed application, as verified by identity proofing. */
  readonly applicationNonce: string;
  /** The device binding of the request. */
  readonly deviceId: string;
  readonly purpose: AttestedKeyPurpose;
  /** The vendor attestation roots (DER). */
  readonly trustAnchors: readonly Buffer[];
  /** Validity is judged at this time (the CA's Clock.now()). */
  readonly at: Date;
}

export type AttestationVerification =
  | { readonly ok: true; readonly claims: KeyAttestationClaims; readonly chain: readonly Buffer[] }
  | { readonly ok: false; readonly reason: AttestationRefusal; readonly detail: string };

/**
 * Verifies a device key attestation: format, chain to a configured vendor root at `at`, that the attested
 * key is the requested key, the nonce binding to the application, the device, and the key's protection.
 */
export async function verifyDeviceAttestation(options: VerifyAttestationOptions): Promise<AttestationVerification> {
  const refuse = (reason: AttestationRefusal, detail: string): AttestationVerification => ({ ok: false, reason, detail });
  let x5c: Buffer[];
  let leafSpki: Buffer;
  let claims: KeyAttestationClaims;
  try {
    x5c = decodeAttestationStatement(options.attestation);
    const leaf = decodeCertificate(x5c[0]);
    x5c.slice(1).forEach((der) => decodeCertificate(der));
    leafSpki = leaf.tbs.subjectPublicKeyInfo;
    const extension = leaf.tbs.extensions.find((e) => e.oid === KEY_ATTESTATION_OID);
    if (!extension) return refuse('ATTESTATION_MALFORMED', 'the leaf certificate has no KeyAttestation extension');
    claims = decodeKeyAttestationExtension(extension.value);
  } catch (error) {
    return refuse('ATTESTATION_MALFORMED', `unreadable attestation: ${(error as Error).message}`);
  }
  if (options.trustAnchors.length === 0) return refuse('ATTESTATION_UNTRUSTED', 'no device attestation root is configured');
  const chain = await validateCertificate({ certificate: x5c[0], intermediates: x5c.slice(1), trustAnchors: options.trustAnchors, at: options.at });
  if (!chain.ok) {
    if (chain.reason === 'EXPIRED' || chain.reason === 'NOT_YET_VALID') return refuse('ATTESTATION_EXPIRED', `${chain.reason}: ${chain.detail}`);
    if (chain.reason === 'CERTIFICATE_MALFORMED') return refuse('ATTESTATION_MALFORMED', chain.detail);
    return refuse('ATTESTATION_UNTRUSTED', `${chain.reason}: ${chain.detail} (not issued under a configured device attestation root)`);
  }
  let keyId: Buffer;
  try {
    keyId = deviceKeyId(leafSpki);
  } catch (error) {
    return refuse('ATTESTATION_MALFORMED', `attested key is not a P-256 key: ${(error as Error).message}`);
  }
  if (!claims.keyId.equals(keyId)) return refuse('ATTESTATION_MALFORMED', 'keyId in the attestation does not match the attested key');
  if (!leafSpki.equals(options.publicKeySpki)) {
    return refuse('ATTESTATION_KEY_MISMATCH', `the attested key (keyId ${keyId.toString('base64url')}) is not the key in the request`);
  }
  if (!claims.nonce.equals(attestationNonce(options.applicationNonce, keyId))) {
    return refuse('ATTESTATION_NONCE_MISMATCH', 'the attestation nonce is not SHA-256(application nonce ‖ keyId): made for another application');
  }
  if (claims.deviceId !== options.deviceId) return refuse('ATTESTATION_DEVICE_MISMATCH', `attested for device ${claims.deviceId}, not ${options.deviceId}`);
  if (claims.keyPurpose !== options.purpose || !claims.nonExportable || (options.purpose === 'signing' && !claims.biometryRequired)) {
    return refuse(
      'ATTESTATION_KEY_POLICY',
      `attested ${claims.keyPurpose} key (nonExportable ${claims.nonExportable}, biometryRequired ${claims.biometryRequired}); a non-exportable ${options.purpose} key${options.purpose === 'signing' ? ' requiring biometrics' : ''} is required`,
    );
  }
  return { ok: true, claims, chain: chain.chain };
}
