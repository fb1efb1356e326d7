import { buildOcspRequest, decodeCertificate, verifyOcspResponse, type CertificateStatus } from '@jpki/pki';
import { snapshotStatus, type CrlSnapshot } from './crl-snapshot';
import { StatusUnavailableError, type StatusSourceKind } from './refusals';

export interface StatusAnswer {
  readonly status: CertificateStatus;
  readonly source: StatusSourceKind;
  /** OCSP: when the responder produced the answer (the CA's clock). */
  readonly producedAt?: Date;
  /** CRL: number of the newest CRL consulted. */
  readonly crlNumber?: bigint;
  /** Set when a fallback answered, e.g. why OCSP was not used. */
  readonly note?: string;
}

/**
 * Where a relying party gets a certificate's status. Throws StatusUnavailableError when it cannot
 * tell (the verifier fails closed).
 */
export interface StatusSource {
  status(certificate: Buffer, issuer: Buffer, at: Date): Promise<StatusAnswer>;
}

/** Sends a DER OCSP request to the JPKI responder and returns the DER response (rejects on transport errors). */
export type OcspTransport = (requestDer: Buffer) => Promise<Buffer>;

/** RFC 6960 with a fresh nonce per request: signature, responder authorisation, nonce echo, freshness. */
export class OcspStatusSource implements StatusSource {
  constructor(
    private readonly transport: OcspTransport,
    private readonly options: { clockSkewMs?: number } = {},
  ) {}

  async status(certificate: Buffer, issuer: Buffer, at: Date): Promise<StatusAnswer> {
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    let response: Buffer;
    try {
      response = await this.transport(request.der);
    } catch (error) {
      throw new StatusUnavailableError('STATUS_UNAVAILABLE', `OCSP responder unreachable: ${(error as Error).message}`);
    }
    const verified = verifyOcspResponse({ response, certificate, issuerCertificate: issuer, nonce: request.nonce, at, clockSkewMs: this.options.clockSkewMs });
    if (!verified.ok) throw new StatusUnavailableError('STATUS_UNAVAILABLE', `OCSP answer unusable: ${verified.reason}: ${verified.detail}`);
    return { status: verified.certificateStatus, source: 'ocsp', producedAt: verified.producedAt };
  }
}

/** A cached CRL (see crl-snapshot.ts): CRL_UNAVAILABLE without one, CRL_STALE when it is too old. */
export class CrlStatusSource implements StatusSource {
  constructor(
    private readonly snapshot: () => CrlSnapshot | undefined,
    private readonly maxAgeMs: number,
  ) {}

  async status(certificate: Buffer, issuer: Buffer, at: Date): Promise<StatusAnswer> {
    const snapshot = this.snapshot();
    if (!snapshot) throw new StatusUnavailableError('CRL_UNAVAILABLE', 'no CRL is cached yet');
    if (!snapshot.issuerCertificate.equals(issuer)) throw new StatusUnavailableError('CRL_UNAVAILABLE', 'the cached CRL is not from the issuing CA');
    const status = snapshotStatus(snapshot, decodeCertificate(certificate).tbs.serialNumber, at, this.maxAgeMs);
    return { status, source: 'crl', crlNumber: snapshot.crlNumber };
  }
}

/**
 * Online first, cached CRL when the online source cannot answer (only STATUS_UNAVAILABLE falls back:
 * a definite `revoked` from OCSP is never overridden).
 */
export class FallbackStatusSource implements StatusSource {
  constructor(
    private readonly primary: StatusSource,
    private readonly fallback: StatusSource,
  ) {}

  async status(certificate: Buffer, issuer: Buffer, at: Date): Promise<StatusAnswer> {
    try {
      return await this.primary.status(certificate, issuer, at);
    } catch (error) {
      if (!(error instanceof StatusUnavailableError) || error.reason !== 'STATUS_UNAVAILABLE') throw error;
      const answer = await this.fallback.status(certificate, issuer, at).catch((fallbackError: unknown) => {
        throw fallbackError instanceof StatusUnavailableError
          ? new StatusUnavailableError(fallbackError.reason, `${error.message}; fallback: ${fallbackError.message}`)
          : fallbackError;
      });
      return { ...answer, note: error.message };
    }
  }
}

/**
 * Every source must answer, and the first that does not say good decides (OCSP and the CA's CRL both, for a signature
 * the relying party relies on later): a revocation either one knows refuses, and either one unavailable fails closed.
 * When all say good, the answer carries what each told (the OCSP producedAt, the CRL number).
 */
export class ConcurringStatusSource implements StatusSource {
  constructor(private readonly sources: readonly StatusSource[]) {}

  async status(certificate: Buffer, issuer: Buffer, at: Date): Promise<StatusAnswer> {
    const answers = await Promise.all(this.sources.map((source) => source.status(certificate, issuer, at)));
    const dissent = answers.find((answer) => answer.status.status !== 'good');
    if (dissent) return dissent;
    return answers.reduceRight((merged, answer) => ({ ...merged, ...answer }));
  }
}
