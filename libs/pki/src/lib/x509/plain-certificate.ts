/**
 * Certificates outside the JPKI profiles — no JPKI lint — for the platform's other SIMULATED hierarchies
 * (e.g. the device vendor's key-attestation CA of the iPhone flows). The caller chooses every extension;
 * subjectKeyIdentifier and authorityKeyIdentifier are added. RSA or ECDSA issuers (the Signer says which).
 */
import { signTbs } from '../asn1/pkijs-interop';
import { parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import type { Signer } from '../keys/signer';
import { verifySignature } from '../keys/signature-verification';
import { encodeDistinguishedName, type DistinguishedName } from '../names/distinguished-name';
import { decodeCertificate, encodeTbsCertificate, type DecodedCertificate } from './certificate';
import { readCertificateExtensions } from './extension-view';
import { authorityKeyIdentifierExtension, keyIdentifierFromSpki, subjectKeyIdentifierExtension, type ExtensionInput } from './extensions';

export interface PlainCertificateRequest {
  readonly serialNumber: SerialNumberInput;
  readonly subject: DistinguishedName;
  readonly subjectPublicKeyInfo: Buffer;
  readonly validity: { readonly notBefore: Date; readonly notAfter: Date };
  /** The issuing key, and its certificate (omit for a self-signed root, which `signer` must match). */
  readonly issuer: { readonly signer: Signer; readonly certificate?: Buffer };
  /** Everything but the key identifiers, e.g. basicConstraints, keyUsage, private extensions. */
  readonly extensions: readonly ExtensionInput[];
}

export class CertificateSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateSignatureError';
  }
}

export class PlainCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlainCertificateError';
  }
}

/**
 * The TBSCertificate of a plain certificate (the issuer's signer is only asked for its key and
 * algorithm): for callers that must sign synchronously or elsewhere, then wrap with `signedEnvelope`.
 */
export function buildPlainTbsCertificate(request: PlainCertificateRequest): Buffer {
  const issuerCertificate = request.issuer.certificate ? decodeCertificate(request.issuer.certificate) : undefined;
  const issuerKey = issuerCertificate?.tbs.subjectPublicKeyInfo ?? request.subjectPublicKeyInfo;
  if (!issuerKey.equals(request.issuer.signer.publicKeySpki)) {
    throw new PlainCertificateError(issuerCertificate ? 'the signer key is not the issuer certificate key' : 'a self-signed certificate must be signed by its own key');
  }
  const [subjectKeyId, authorityKeyId] = keyIdentifiers(request.subjectPublicKeyInfo, issuerCertificate);
  return encodeTbsCertificate({
    ...tbsNames(request.subject, issuerCertificate),
    serialNumber: parseSerialNumber(request.serialNumber),
    signer: request.issuer.signer,
    validity: request.validity,
    subjectPublicKeyInfo: request.subjectPublicKeyInfo,
    extensions: [subjectKeyIdentifierExtension(subjectKeyId), authorityKeyIdentifierExtension(authorityKeyId), ...request.extensions],
  });
}

/** The subject's key identifier and its issuer's (the same for a self-signed certificate). */
export function keyIdentifiers(subjectPublicKeyInfo: Buffer, issuer: DecodedCertificate | undefined): [Buffer, Buffer] {
  const subjectKeyId = keyIdentifierFromSpki(subjectPublicKeyInfo);
  if (!issuer) return [subjectKeyId, subjectKeyId];
  return [subjectKeyId, readCertificateExtensions(issuer.tbs.extensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuer.tbs.subjectPublicKeyInfo)];
}

/** Subject and issuer Name DER: the issuer's exactly as its certificate carries it. */
export function tbsNames(subject: DistinguishedName, issuer: DecodedCertificate | undefined): { subjectName: Buffer; issuerName: Buffer } {
  const subjectName = encodeDistinguishedName(subject);
  return { subjectName, issuerName: issuer ? issuer.tbs.subject.raw : subjectName };
}

/** Builds and signs a v3 certificate; the signature is verified before the certificate is returned. */
export async function issuePlainCertificate(request: PlainCertificateRequest): Promise<Buffer> {
  return signCertificate(buildPlainTbsCertificate(request), request.issuer.signer);
}

/**
 * Signs a TBSCertificate and checks the signature before releasing the certificate (a faulty HSM or
 * applet must not yield a certificate that fails verification later).
 */
export async function signCertificate(tbs: Buffer, signer: Signer): Promise<Buffer> {
  const certificate = await signTbs(tbs, signer);
  const { signatureAlgorithm, signature } = decodeCertificate(certificate);
  if (!verifySignature({ publicKeySpki: signer.publicKeySpki, signatureAlgorithmOid: signatureAlgorithm.oid, data: tbs, signature })) {
    throw new CertificateSignatureError('the issued certificate does not verify with the issuer key');
  }
  return certificate;
}
