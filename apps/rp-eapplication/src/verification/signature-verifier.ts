import { Inject, Injectable } from '@nestjs/common';
import { JpkiCaDirectory } from '@jpki/jpki-client';
import { OnlineHolderVerifier, refusalDetails, SIGNED_DOCUMENT_REFUSALS, type SignedDocumentRefusal } from '@jpki/relying-party';
import { DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpEapplicationConfig } from '../config';

/**
 * Signed documents: CMS signature + chain to the JPKI digital-signature CA + status by OCSP and CRL (shared lib, HTTP to
 * the CA; the directory's anchors include the digital-signature CA, `/ca/digital-signature.der`).
 */
@Injectable()
export class SignatureVerifier extends OnlineHolderVerifier {
  constructor(@Inject(SERVICE_CONFIG) config: RpEapplicationConfig) {
    super(new JpkiCaDirectory(config.JPKI_CA_URL, config.CA_HTTP_TIMEOUT_MS, config.CA_CRL_MAX_BYTES), {
      rootSha256: config.JPKI_ROOT_SHA256,
      rootCrlMaxAgeMs: config.ROOT_CRL_MAX_AGE_SECONDS * 1000,
      signingCrlMaxAgeMs: config.SIGNING_CRL_MAX_AGE_SECONDS * 1000,
    });
  }
}

/** `{ statusCode, reason, message, details }` for a refused application (400/403/422/503, see SIGNED_DOCUMENT_REFUSALS). */
export function applicationRefused(refusal: SignedDocumentRefusal): DomainHttpException {
  return new DomainHttpException(SIGNED_DOCUMENT_REFUSALS[refusal.reason], refusal.reason, refusal.detail, refusalDetails(refusal));
}
