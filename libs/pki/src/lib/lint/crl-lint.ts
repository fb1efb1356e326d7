/** Pre-issuance CRL lint (Boulder lints CRLs the same way as certificates). */
import * as asn1js from 'asn1js';
import { parseAsn1Value } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import { CrlFormatError, parseCrl, type CrlEntry, type ParsedCrl } from '../crl/crl';
import { distinguishedNamesMatch } from '../names/distinguished-name';
import { RevocationReason } from '../revocation/revocation-reason';
import { decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import { findExtension, keyIdentifierFromSpki } from '../x509/extensions';
import { isSha256WithRsa } from './certificate-lint';
import { finding, type LintFinding } from './lint-finding';

export type CrlLintCode =
  | 'CRL_MALFORMED'
  | 'CRL_ISSUER_CERTIFICATE_MALFORMED'
  | 'CRL_VERSION_NOT_V2'
  | 'CRL_SIGNATURE_ALGORITHM_NOT_SHA256_RSA'
  | 'CRL_SIGNATURE_ALGORITHM_MISMATCH'
  | 'CRL_ISSUER_MISMATCH'
  | 'CRL_ISSUER_CANNOT_SIGN_CRLS'
  | 'CRL_ISSUER_KEY_MISMATCH'
  | 'CRL_NEXT_UPDATE_MISSING'
  | 'CRL_NEXT_UPDATE_NOT_AFTER_THIS_UPDATE'
  | 'CRL_NUMBER_MISSING'
  | 'CRL_NUMBER_INVALID'
  | 'CRL_NUMBER_CRITICAL'
  | 'CRL_AUTHORITY_KEY_IDENTIFIER_MISSING'
  | 'CRL_AUTHORITY_KEY_IDENTIFIER_MISMATCH'
  | 'CRL_DELTA_INDICATOR_NOT_CRITICAL'
  | 'CRL_DELTA_BASE_NOT_LOWER'
  | 'CRL_FRESHEST_CRL_IN_DELTA'
  | 'CRL_EMPTY_REVOKED_LIST_ENCODED'
  | 'CRL_UNKNOWN_CRITICAL_EXTENSION'
  | 'CRL_ENTRY_DUPLICATE_SERIAL'
  | 'CRL_ENTRY_SERIAL_INVALID'
  | 'CRL_ENTRY_REASON_INVALID'
  | 'CRL_ENTRY_REASON_UNSPECIFIED_ENCODED'
  | 'CRL_ENTRY_REMOVE_FROM_CRL_IN_COMPLETE_CRL'
  | 'CRL_ENTRY_REVOKED_AFTER_THIS_UPDATE'
  | 'CRL_ENTRY_UNKNOWN_CRITICAL_EXTENSION';

export type CrlLintFinding = LintFinding<CrlLintCode>;

export interface CrlLintContext {
  /** The CA certificate the CRL claims to come from. */
  readonly issuerCertificate: Buffer;
  /** SPKI of the key that will sign for real. */
  readonly signerPublicKeySpki?: Buffer;
}

type CrlRule = (crl: ParsedCrl, issuer: DecodedCertificate, context: CrlLintContext) => CrlLintFinding[];

const MAX_CRL_NUMBER_OCTETS = 20;
const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>([Oid.deltaCrlIndicator, Oid.issuingDistributionPoint]);
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set<string>([Oid.certificateIssuer]);
const MAX_SERIAL = 1n << 159n;

export function lintCrl(crlDer: Buffer, context: CrlLintContext): CrlLintFinding[] {
  let crl: ParsedCrl;
  let issuer: DecodedCertificate;
  try {
    crl = parseCrl(crlDer);
  } catch (error) {
    return [finding('CRL_MALFORMED', error instanceof CrlFormatError ? error.message : String(error))];
  }
  try {
    issuer = decodeCertificate(context.issuerCertificate);
  } catch (error) {
    return [finding('CRL_ISSUER_CERTIFICATE_MALFORMED', (error as Error).message)];
  }
  return CRL_RULES.flatMap((rule) => rule(crl, issuer, context));
}

const lintHeader: CrlRule = (crl) => {
  const findings: CrlLintFinding[] = [];
  if (crl.version !== 2) findings.push(finding('CRL_VERSION_NOT_V2', `CRL is v${crl.version}`));
  if (!isSha256WithRsa(crl.signatureAlgorithm)) findings.push(finding('CRL_SIGNATURE_ALGORITHM_NOT_SHA256_RSA', `signature ${crl.signatureAlgorithm.oid}`));
  if (!crl.signatureAlgorithm.raw.equals(crl.outerSignatureAlgorithm.raw)) {
    findings.push(finding('CRL_SIGNATURE_ALGORITHM_MISMATCH', 'signatureAlgorithm differs from tbsCertList.signature'));
  }
  if (crl.emptyRevokedListEncoded) findings.push(finding('CRL_EMPTY_REVOKED_LIST_ENCODED', 'empty revokedCertificates must be omitted'));
  return findings;
};

const lintIssuer: CrlRule = (crl, issuer, context) => {
  const findings: CrlLintFinding[] = [];
  if (!distinguishedNamesMatch(crl.issuer, issuer.tbs.subject)) findings.push(finding('CRL_ISSUER_MISMATCH', 'CRL issuer differs from the CA subject'));
  if (!readCertificateExtensions(issuer.tbs.extensions).keyUsage?.includes('cRLSign')) {
    findings.push(finding('CRL_ISSUER_CANNOT_SIGN_CRLS', 'issuer certificate lacks the cRLSign key usage'));
  }
  if (context.signerPublicKeySpki && !context.signerPublicKeySpki.equals(issuer.tbs.subjectPublicKeyInfo)) {
    findings.push(finding('CRL_ISSUER_KEY_MISMATCH', 'the signer key does not match the CA certificate key'));
  }
  const keyId = readCertificateExtensions(issuer.tbs.extensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuer.tbs.subjectPublicKeyInfo);
  if (!crl.authorityKeyIdentifier) findings.push(finding('CRL_AUTHORITY_KEY_IDENTIFIER_MISSING', 'authorityKeyIdentifier is required'));
  else if (!crl.authorityKeyIdentifier.equals(keyId)) findings.push(finding('CRL_AUTHORITY_KEY_IDENTIFIER_MISMATCH', 'AKI does not match the CA key'));
  return findings;
};

const lintTimes: CrlRule = (crl) => {
  if (!crl.nextUpdate) return [finding('CRL_NEXT_UPDATE_MISSING', 'nextUpdate is required (RFC 5280 §5.1.2.5)')];
  return crl.nextUpdate > crl.thisUpdate ? [] : [finding('CRL_NEXT_UPDATE_NOT_AFTER_THIS_UPDATE', 'nextUpdate must be after thisUpdate')];
};

const lintNumbers: CrlRule = (crl) => {
  const findings: CrlLintFinding[] = [];
  const numberExtension = findExtension(crl.extensions, Oid.crlNumber);
  if (!numberExtension || crl.crlNumber === undefined) return [finding('CRL_NUMBER_MISSING', 'CRL number is required')];
  if (numberExtension.critical) findings.push(finding('CRL_NUMBER_CRITICAL', 'CRL number must be non-critical'));
  const octets = parseAsn1Value(asn1js.Integer, numberExtension.value, 'CRLNumber').valueBlock.valueHexView.length;
  if (crl.crlNumber < 0n || octets > MAX_CRL_NUMBER_OCTETS) findings.push(finding('CRL_NUMBER_INVALID', 'CRL number must be 0..2^159'));
  const delta = findExtension(crl.extensions, Oid.deltaCrlIndicator);
  if (delta && !delta.critical) findings.push(finding('CRL_DELTA_INDICATOR_NOT_CRITICAL', 'Delta CRL Indicator must be critical'));
  if (delta && parseAsn1Value(asn1js.Integer, delta.value, 'BaseCRLNumber').toBigInt() >= crl.crlNumber) {
    findings.push(finding('CRL_DELTA_BASE_NOT_LOWER', 'BaseCRLNumber must be lower than the delta CRL number'));
  }
  if (delta && findExtension(crl.extensions, Oid.freshestCrl)) {
    findings.push(finding('CRL_FRESHEST_CRL_IN_DELTA', 'Freshest CRL must not appear in a delta CRL (RFC 5280 §5.2.6)'));
  }
  return findings;
};

const lintExtensions: CrlRule = (crl) =>
  crl.extensions
    .filter((extension) => extension.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(extension.oid))
    .map((extension) => finding('CRL_UNKNOWN_CRITICAL_EXTENSION', `critical CRL extension ${extension.oid}`));

const lintEntries: CrlRule = (crl) => {
  const seen = new Set<string>();
  return crl.entries.flatMap((entry) => {
    const duplicate = seen.has(entry.serialNumber);
    seen.add(entry.serialNumber);
    return [
      ...(duplicate ? [finding('CRL_ENTRY_DUPLICATE_SERIAL', `serial ${entry.serialNumber} is listed twice`)] : []),
      ...entryFindings(entry, crl),
    ];
  });
};

function entryFindings(entry: CrlEntry, crl: ParsedCrl): CrlLintFinding[] {
  const findings: CrlLintFinding[] = [];
  const serial = BigInt(`0x${entry.serialNumber.replace(/^-/, '')}`) * (entry.serialNumber.startsWith('-') ? -1n : 1n);
  if (serial <= 0n || serial >= MAX_SERIAL) findings.push(finding('CRL_ENTRY_SERIAL_INVALID', `serial ${entry.serialNumber}`));
  if (entry.reasonCode !== undefined && entry.reason === undefined) {
    findings.push(finding('CRL_ENTRY_REASON_INVALID', `serial ${entry.serialNumber}: reason code ${entry.reasonCode} is undefined`));
  }
  if (entry.reasonCode === RevocationReason.unspecified) {
    findings.push(finding('CRL_ENTRY_REASON_UNSPECIFIED_ENCODED', `serial ${entry.serialNumber}: omit reasonCode instead of unspecified`));
  }
  if (entry.reason === 'removeFromCRL' && crl.baseCrlNumber === undefined) {
    findings.push(finding('CRL_ENTRY_REMOVE_FROM_CRL_IN_COMPLETE_CRL', `serial ${entry.serialNumber}: removeFromCRL only belongs in a delta CRL`));
  }
  if (entry.revocationDate > crl.thisUpdate) {
    findings.push(finding('CRL_ENTRY_REVOKED_AFTER_THIS_UPDATE', `serial ${entry.serialNumber}: revocationDate after thisUpdate`));
  }
  const unknownCritical = entry.extensions.filter((e) => e.critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(e.oid));
  return [...findings, ...unknownCritical.map((e) => finding('CRL_ENTRY_UNKNOWN_CRITICAL_EXTENSION', `serial ${entry.serialNumber}: ${e.oid}`))];
}

const CRL_RULES: readonly CrlRule[] = [lintHeader, lintIssuer, lintTimes, lintNumbers, lintExtensions, lintEntries];
