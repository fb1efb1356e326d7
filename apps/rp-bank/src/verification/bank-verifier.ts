import { Inject, Injectable } from '@nestjs/common';
import { JpkiCaDirectory } from '@jpki/jpki-client';
import { httpStatusOf, OnlineHolderVerifier, refusalDetails, type HolderRefusal } from '@jpki/relying-party';
import { DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpBankConfig } from '../config';

/** The bank's verifier: signature + chain to the JPKI user-authentication CA + OCSP (shared lib, HTTP to the CA). */
@Injectable()
export class BankVerifier extends OnlineHolderVerifier {
  constructor(@Inject(SERVICE_CONFIG) config: RpBankConfig) {
    super(new JpkiCaDirectory(config.JPKI_CA_URL, config.CA_HTTP_TIMEOUT_MS, config.CA_CRL_MAX_BYTES), {
      rootSha256: config.JPKI_ROOT_SHA256,
      rootCrlMaxAgeMs: config.ROOT_CRL_MAX_AGE_SECONDS * 1000,
    });
  }
}

/** `{ statusCode, reason, message, details }` for a refused holder (401/403/503, see HOLDER_REFUSALS). */
export function holderRefused(refusal: HolderRefusal): DomainHttpException {
  return new DomainHttpException(httpStatusOf(refusal.reason), refusal.reason, refusal.detail, refusalDetails(refusal));
}
