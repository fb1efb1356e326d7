import { readJpkiPersonalData, verifyCms, type JpkiPersonalData } from '@jpki/pki';
import { describeHolderCertificate, type HolderCertificate } from './challenge';
import type { SignedDocumentRefusal } from './refusals';
import { checkCertificate, type CertificateUse, type ChainCheck, type HolderAccepted } from './verifier';

/** The JPKI CAs a signature is checked against: the digital-signature CA issues signing certificates; the user-authentication CA is named so that its certificates are refused as not for signing. */
export interface SigningTrust {
  readonly root: Buffer;
  readonly digitalSignature: Buffer;
  readonly userAuthentication: Buffer;
}

export interface SignedDocumentCheck extends Omit<ChainCheck, 'root'> {
  readonly trust: SigningTrust;
}

export interface SignedDocumentAccepted {
  readonly ok: true;
  readonly signer: HolderCertificate;
  readonly signerCertificate: Buffer;
  /** The 基本4情報 of the signing certificate. */
  readonly personalData: JpkiPersonalData;
  /** The signingTime attribute: claimed by the signer, not a trusted time. */
  readonly signingTime?: Date;
  readonly status: HolderAccepted['status'];
}

export type SignedDocumentVerification = SignedDocumentAccepted | SignedDocumentRefusal;

/**
 * A document signed with a JPKI signing key (an e-application): one CMS SignedData signer whose signature and
 * message digest hold over exactly the document (detached, or encapsulating the same bytes), a signer certificate
 * on a path to the root through the digital-signature CA (validity, keyUsage digitalSignature + nonRepudiation),
 * its status, and its 基本4情報. Card and phone signing certificates alike: only the CA, the key usage and the
 * personal data count.
 */
export async function verifySignedDocument(document: Buffer, signedData: Buffer, check: SignedDocumentCheck): Promise<SignedDocumentVerification> {
  const cms = verifyCms(signedData, { content: document });
  if (!cms.signatureValid) return { ok: false, reason: cms.reason, detail: cms.detail, ...serialOf(cms.signerCertificate) };
  const use: CertificateUse<'CERTIFICATE_NOT_FOR_SIGNING'> = {
    issuingCa: check.trust.digitalSignature,
    otherIssuingCas: [check.trust.userAuthentication],
    requiredKeyUsage: ['digitalSignature', 'nonRepudiation'],
    notForThisUse: 'CERTIFICATE_NOT_FOR_SIGNING',
  };
  const chain = await checkCertificate(cms.signerCertificate, { ...check, root: check.trust.root }, use);
  if (!chain.ok) return chain.validationReason === 'WRONG_ISSUER_CA' ? { ...chain, detail: `issued by ${issuerOf(cms.signerCertificate)}, not by the digital-signature CA` } : chain;
  const personalData = personalDataOf(cms.signerCertificate);
  if (typeof personalData === 'string') return { ok: false, reason: 'PERSONAL_DATA_MISSING', detail: personalData, serial: chain.holder.serial };
  return {
    ok: true,
    signer: chain.holder,
    signerCertificate: cms.signerCertificate,
    personalData,
    ...(cms.signingTime ? { signingTime: cms.signingTime } : {}),
    status: chain.status,
  };
}

/** The personal data, or why there is none. */
function personalDataOf(certificate: Buffer): JpkiPersonalData | string {
  try {
    return readJpkiPersonalData(certificate) ?? 'the signing certificate carries no JPKI personal data';
  } catch (error) {
    return `the signing certificate's personal data is unreadable: ${(error as Error).message}`;
  }
}

function issuerOf(certificate: Buffer): string {
  return describeHolderCertificate(certificate).issuer;
}

function serialOf(certificate: Buffer | undefined): { serial?: string } {
  if (!certificate) return {};
  try {
    return { serial: describeHolderCertificate(certificate).serial };
  } catch {
    return {};
  }
}
