import { Inject, Injectable } from '@nestjs/common';
import { JpkiCaDirectory } from '@jpki/jpki-client';
import { OnlineHolderVerifier, refusalDetails, SIGNED_DOCUMENT_REFUSALS, type JpkiTrust, type SignedDocumentRefusal } from '@jpki/relying-party';
import { DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpEapplicationConfig } from '../config';

/**
 * The CA over HTTP, with the digital-signature CA among the anchors (`/ca/digital-signature.der`).
 * TODO(libs/jpki-client): JpkiCaDirectory.trustAnchors should fetch it itself; this subclass then goes.
 */
class SigningCaDirectory extends JpkiCaDirectory {
  constructor(
    caUrl: string,
    private readonly timeout: number,
  ) {
    super(caUrl, timeout);
  }

  override async trustAnchors(): Promise<JpkiTrust> {
    const [anchors, digitalSignature] = await Promise.all([super.trustAnchors(), this.digitalSignatureCa()]);
    return { ...anchors, digitalSignature };
  }

  private async digitalSignatureCa(): Promise<Buffer> {
    const url = `${this.caUrl}/ca/digital-signature.der`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeout) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

/** Signed documents: CMS signature + chain to the JPKI digital-signature CA + status by OCSP and CRL (shared lib, HTTP to the CA). */
@Injectable()
export class SignatureVerifier extends OnlineHolderVerifier {
  constructor(@Inject(SERVICE_CONFIG) config: RpEapplicationConfig) {
    super(new SigningCaDirectory(config.JPKI_CA_URL, config.CA_HTTP_TIMEOUT_MS), {
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
