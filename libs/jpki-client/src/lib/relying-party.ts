import { createPublicKey, verify } from 'node:crypto';
import {
  buildOcspRequest,
  crlCertificateStatus,
  decodeCertificate,
  parseCrl,
  validateCertificate,
  verifyCrlSignature,
  verifyOcspResponse,
  formatDistinguishedName,
  formatSerialNumber,
  type ValidationFailureReason,
} from '@jpki/pki';
import { HttpJson } from './http-json';

export type LoginCheck =
  | { ok: true; serial: string; subject: string }
  | { ok: false; reason: 'SIGNATURE_INVALID_FOR_CHALLENGE' | ValidationFailureReason; detail: string; serial?: string };

interface Trust {
  root: Buffer;
  userAuthentication: Buffer;
}

/**
 * What a relying party does with a phone's answer to its challenge: the signature over the
 * challenge, the chain to the JPKI user-authentication CA, and the status by OCSP (the issuing
 * CA's own status from the root CRL). Cryptographically valid is not enough: status is checked.
 */
export class RelyingPartyVerifier {
  private trust?: Trust;
  private readonly http: HttpJson;

  constructor(private readonly caUrl: string) {
    this.http = new HttpJson(caUrl);
  }

  async verifyLogin(challenge: Buffer, signature: Buffer, certificate: Buffer, at = new Date()): Promise<LoginCheck> {
    const trust = await this.loadTrust();
    const tbs = decodeCertificate(certificate).tbs;
    const serial = formatSerialNumber(tbs.serialNumber);
    const key = createPublicKey({ key: tbs.subjectPublicKeyInfo, format: 'der', type: 'spki' });
    if (!verify('sha256', challenge, key, signature)) {
      return { ok: false, reason: 'SIGNATURE_INVALID_FOR_CHALLENGE', detail: 'the signature does not match the challenge', serial };
    }
    const result = await validateCertificate({
      certificate,
      intermediates: [trust.userAuthentication],
      trustAnchors: [trust.root],
      expectedIssuers: [trust.userAuthentication],
      requiredKeyUsage: ['digitalSignature'],
      at,
      revocation: (cert, issuer) => (issuer.equals(trust.root) ? this.crlStatus(cert, trust.root) : this.ocspStatus(cert, issuer)),
    });
    if (!result.ok) return { ok: false, reason: result.reason, detail: result.detail, serial };
    return { ok: true, serial, subject: formatDistinguishedName(tbs.subject) };
  }

  private async loadTrust(): Promise<Trust> {
    if (!this.trust) {
      const [root, userAuthentication] = await Promise.all([this.binary('/ca/root.der'), this.binary('/ca/user-authentication.der')]);
      this.trust = { root, userAuthentication };
    }
    return this.trust;
  }

  private async ocspStatus(certificate: Buffer, issuer: Buffer) {
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    const res = await this.http.raw('POST', '/ocsp', request.der, 'application/ocsp-request');
    const verified = verifyOcspResponse({ response: Buffer.from(await res.arrayBuffer()), certificate, issuerCertificate: issuer, nonce: request.nonce });
    if (!verified.ok) throw new Error(`OCSP: ${verified.reason}: ${verified.detail}`);
    return verified.certificateStatus;
  }

  private async crlStatus(certificate: Buffer, issuer: Buffer) {
    const crl = parseCrl(await this.binary('/crl/root.crl'));
    if (!verifyCrlSignature(crl, issuer)) throw new Error('root CRL signature does not verify');
    return crlCertificateStatus(crl, decodeCertificate(certificate).tbs.serialNumber);
  }

  private async binary(path: string): Promise<Buffer> {
    const res = await this.http.raw('GET', path);
    if (!res.ok) throw new Error(`GET ${this.caUrl}${path}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}
