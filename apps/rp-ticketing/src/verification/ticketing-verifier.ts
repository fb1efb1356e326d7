import { Inject, Injectable } from '@nestjs/common';
import { JpkiCaDirectory } from '@jpki/jpki-client';
import { httpStatusOf, OnlineHolderVerifier, refusalDetails, type HolderRefusal } from '@jpki/relying-party';
import { DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpTicketingConfig } from '../config';

/** The CA over HTTP (anchors, OCSP, CRL distribution points). */
@Injectable()
export class CaDirectoryClient extends JpkiCaDirectory {
  constructor(@Inject(SERVICE_CONFIG) config: RpTicketingConfig) {
    super(config.JPKI_CA_URL, config.CA_HTTP_TIMEOUT_MS, config.CA_CRL_MAX_BYTES);
  }
}

/** Online verification (purchases, online gates): signature + chain + OCSP (shared lib). */
@Injectable()
export class TicketingVerifier extends OnlineHolderVerifier {
  constructor(directory: CaDirectoryClient, @Inject(SERVICE_CONFIG) config: RpTicketingConfig) {
    super(directory, { rootSha256: config.JPKI_ROOT_SHA256, rootCrlMaxAgeMs: config.ROOT_CRL_MAX_AGE_SECONDS * 1000 });
  }
}

/** `{ statusCode, reason, message, details }` for a refused holder (401/403/503, see HOLDER_REFUSALS). */
export function holderRefused(refusal: HolderRefusal, extra: Record<string, unknown> = {}): DomainHttpException {
  return new DomainHttpException(httpStatusOf(refusal.reason), refusal.reason, refusal.detail, { ...refusalDetails(refusal), ...extra });
}
