/**
 * What a carrier-scoped operator token may see and change through the CA's operator API. The CA serves every carrier:
 * - the municipality's acts (issuing or renewing a card, revoking card certificates) and the audit log belong to
 *   platform staff (unscoped tokens);
 * - a carrier's staff reach a person only through a phone certificate on their carrier (a SIM of that carrier, MVNOs
 *   included under their host), see the card certificates and that carrier's phone certificates, and change only
 *   those phone certificates.
 * Refusals are 403 CARRIER_SCOPE, as at lifecycle, the MNO-TSMs, the SP-TSM and vsim.
 */
import { HttpStatus } from '@nestjs/common';
import { DomainHttpException, requireCarrierScope, type OperatorPrincipal } from '@jpki/service-kit';
import { isPhoneKind, type CertificateRow } from '../storage/types';

/** The carrier a phone certificate was issued for; card and iPhone certificates belong to no carrier. */
export function carrierOf(certificate: CertificateRow): string | null {
  return certificate.device?.kind === 'sim' ? certificate.device.carrier : null;
}

/** 403 CARRIER_SCOPE unless the token may see or change this certificate. */
export function requireCertificateScope(operator: OperatorPrincipal, certificate: CertificateRow): void {
  requireCarrierScope(operator, carrierOf(certificate), `certificate ${certificate.serial}`);
}

/** A person's certificates as the token may see them; 403 CARRIER_SCOPE when the person has no phone on its carrier. */
export function personCertificatesInScope(operator: OperatorPrincipal, personId: string, certificates: readonly CertificateRow[]): CertificateRow[] {
  const scope = operator.carrier;
  if (!scope) return [...certificates];
  const phones = certificates.filter((c) => carrierOf(c) === scope);
  requireCarrierScope(operator, phones.length > 0 ? scope : null, `person ${personId}, who has no phone certificate on ${scope}`);
  return certificates.filter((c) => !isPhoneKind(c.kind) || carrierOf(c) === scope);
}

/** The municipality's acts on a person's card: platform staff only. */
export function requireMunicipalScope(operator: OperatorPrincipal, act: string): void {
  if (operator.carrier) throw new DomainHttpException(HttpStatus.FORBIDDEN, 'CARRIER_SCOPE', `${act} is the municipality's act: platform staff only, not a ${operator.carrier} operator`);
}
