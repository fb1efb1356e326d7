/**
 * Certificates outside the JPKI profiles — no JPKI lint — for the platform's other SIMULATED hierarchies
 * (e.g. the device vendor's key-attestation CA of the iPhone flows). The caller chooses every extension;
 * subjectKeyIdentifier and authorityKeyIdentifier are added. RSA or ECDSA issuers (the Signer says which).
 */
import { explicit, integer, sequence, time } from '../asn1/der-writer';
import { parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import type { Signer } from '../keys/signer';
import { verifySignature } from '../keys/signature-verification';
import { encodeDistinguishedName, type DistinguishedName } from '../names/distinguished-name';
import { decodeCertificate } from './certificate';
import { readCertificateExtensions } from './extension-view';
import {
  authorityKeyIdentifierExtension,
  encodeExtensions,
  keyIdentifierFromSpki,
  subjectKeyIdentifierExtension,
  type ExtensionInput,
} from './extensions';
import { signatureAlgorithmFor, signTbs } from './signed-structure';

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

export class PlainCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlainCertificateError';
  }
}

/**
 * The TBSCertificate of a plain certificate (the issuer's signer is only asked for its key and
 * algorithm): for callers that must sign synchronously or elsewhere, then wrap with `signatureAlgorithmFor`.
 */
export function buildPlainTbsCertificate(request: PlainCertificateRequest): Buffer {
  const issuerCertificate = request.issuer.certificate ? decodeCertificate(request.issuer.certificate) : undefined;
  if (!issuerCertificate && !request.issuer.signer.publicKeySpki.equals(request.subjectPublicKeyInfo)) {
    throw new PlainCertificateError('a self-signed certificate must be signed by its own key');
  }
  if (issuerCertificate && !issuerCertificate.tbs.subjectPublicKeyInfo.equals(request.issuer.signer.publicKeySpki)) {
    throw new PlainCertificateError('the signer key is not the issuer certificate key');
  }
  const subjectName = encodeDistinguishedName(request.subject);
  const subjectKeyId = keyIdentifierFromSpki(request.subjectPublicKeyInfo);
  const authorityKeyId = issuerCertificate
    ? (readCertificateExtensions(issuerCertificate.tbs.extensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuerCertificate.tbs.subjectPublicKeyInfo))
    : subjectKeyId;
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(parseSerialNumber(request.serialNumber)),
    signatureAlgorithmFor(request.issuer.signer),
    issuerCertificate ? issuerCertificate.tbs.subject.raw : subjectName,
    sequence(time(request.validity.notBefore), time(request.validity.notAfter)),
    subjectName,
    request.subjectPublicKeyInfo,
    explicit(3, encodeExtensions([subjectKeyIdentifierExtension(subjectKeyId), authorityKeyIdentifierExtension(authorityKeyId), ...request.extensions])),
  );
  return tbs;
}

/** Builds and signs a v3 certificate; the signature is verified before the certificate is returned. */
export async function issuePlainCertificate(request: PlainCertificateRequest): Promise<Buffer> {
  const tbs = buildPlainTbsCertificate(request);
  const certificate = await signTbs(tbs, request.issuer.signer);
  const decoded = decodeCertificate(certificate);
  const verifies = verifySignature({
    publicKeySpki: request.issuer.signer.publicKeySpki,
    signatureAlgorithmOid: decoded.signatureAlgorithm.oid,
    data: decoded.tbs.raw,
    signature: decoded.signature,
  });
  if (!verifies) throw new PlainCertificateError('the issued certificate does not verify with the issuer key');
  return certificate;
}
