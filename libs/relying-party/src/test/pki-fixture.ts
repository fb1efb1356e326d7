/** Test helper: a SIMULATED JPKI hierarchy with an in-memory OCSP responder and CRL issuer (no services). */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  buildOcspResponse,
  digitalSignatureSubject,
  jpkiDateOfBirth,
  exportSpkiDer,
  formatSerialNumber,
  issueCertificate,
  issueCrl,
  JPKI_ROOT_CA_NAME,
  jpkiIssuingCaName,
  jpkiOcspResponderName,
  parseOcspRequest,
  SoftwareRsaSigner,
  userAuthenticationSubject,
  type CertificateStatus,
  type CrlEntryInput,
} from '@jpki/pki';
import type { JpkiTrust } from '../lib/verifier';

const DAY = 86_400_000;
const days = (at: Date, n: number) => new Date(at.getTime() + n * DAY);

export interface Authority {
  certificate: Buffer;
  signer: SoftwareRsaSigner;
}

export interface SigningHolder {
  certificate: Buffer;
  signer: SoftwareRsaSigner;
  serial: string;
}

export interface Holder {
  certificate: Buffer;
  privateKey: KeyObject;
  serial: string;
  sign(challenge: Buffer): Buffer;
}

export class TestPki {
  /** Status by serial (upper-case hex); anything absent is good. */
  readonly statuses = new Map<string, CertificateStatus>();
  private crlNumber = 1n;
  private nextSerial = 0x1000n;
  private readonly signingSerials = new Set<string>();

  private constructor(
    readonly now: Date,
    readonly root: Authority,
    readonly userAuthentication: Authority,
    readonly responder: Authority,
    readonly digitalSignature: Authority,
    readonly signingResponder: Authority,
  ) {}

  static async create(now = new Date(Math.floor(Date.now() / 1000) * 1000)): Promise<TestPki> {
    const [rootSigner, caSigner, responderSigner] = await Promise.all([SoftwareRsaSigner.generate(), SoftwareRsaSigner.generate(), SoftwareRsaSigner.generate()]);
    const root = {
      signer: rootSigner,
      certificate: await issueCertificate({
        profile: 'jpki-root-ca',
        serialNumber: 1n,
        subject: JPKI_ROOT_CA_NAME,
        subjectPublicKeyInfo: rootSigner.publicKeySpki,
        validity: { notBefore: days(now, -30), notAfter: days(now, 7000) },
        issuer: { signer: rootSigner },
      }),
    };
    const ca = {
      signer: caSigner,
      certificate: await issueCertificate({
        profile: 'jpki-user-authentication-ca',
        serialNumber: 0x10n,
        subject: jpkiIssuingCaName('user-authentication'),
        subjectPublicKeyInfo: caSigner.publicKeySpki,
        validity: { notBefore: days(now, -20), notAfter: days(now, 3600) },
        issuer: root,
        crlDistributionPointUri: 'http://crl.jpki.example/root.crl',
      }),
    };
    const responder = await delegatedResponder(responderSigner, 'user-authentication', ca, now);
    const [signingCaSigner, signingResponderSigner] = await Promise.all([SoftwareRsaSigner.generate(), SoftwareRsaSigner.generate()]);
    const signingCa = {
      signer: signingCaSigner,
      certificate: await issueCertificate({
        profile: 'jpki-digital-signature-ca',
        serialNumber: 0x11n,
        subject: jpkiIssuingCaName('digital-signature'),
        subjectPublicKeyInfo: signingCaSigner.publicKeySpki,
        validity: { notBefore: days(now, -20), notAfter: days(now, 3600) },
        issuer: root,
        crlDistributionPointUri: 'http://crl.jpki.example/root.crl',
      }),
    };
    const signingResponder = await delegatedResponder(signingResponderSigner, 'digital-signature', signingCa, now);
    return new TestPki(now, root, ca, responder, signingCa, signingResponder);
  }

  get trust(): JpkiTrust {
    return { root: this.root.certificate, userAuthentication: this.userAuthentication.certificate, digitalSignature: this.digitalSignature.certificate };
  }

  /** A My Number card signing certificate (署名用, with the 基本4情報) and its key. */
  async signingHolder(): Promise<SigningHolder> {
    const signer = await SoftwareRsaSigner.generate();
    const serialNumber = this.nextSerial++;
    const certificate = await issueCertificate({
      profile: 'jpki-card-digital-signature',
      serialNumber,
      subject: digitalSignatureSubject({ prefecture: 'Tokyo-to', municipality: 'Chiyoda-ku', commonName: `SIGN${serialNumber.toString(16).toUpperCase().padStart(12, '0')}` }),
      subjectPublicKeyInfo: signer.publicKeySpki,
      validity: { notBefore: days(this.now, -1), notAfter: days(this.now, 1000) },
      issuer: this.digitalSignature,
      personalData: { name: '署名 花子', gender: '2', dateOfBirth: jpkiDateOfBirth('1988-03-14'), address: '東京都千代田区霞が関２丁目１番２号' },
      crlDistributionPointUri: 'http://crl.jpki.example/digital-signature.crl',
      ocspUri: 'http://ocsp.jpki.example/digital-signature',
    });
    const serial = formatSerialNumber(serialNumber);
    this.signingSerials.add(serial);
    return { certificate, signer, serial };
  }

  async holder(keyType: 'rsa' | 'ec' = 'rsa', validity?: { notBefore: Date; notAfter: Date }): Promise<Holder> {
    const { privateKey, publicKey } = keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const serialNumber = this.nextSerial++;
    const certificate = await issueCertificate({
      profile: 'jpki-phone-user-authentication',
      serialNumber,
      subject: userAuthenticationSubject(`PHONE${serialNumber.toString(16).toUpperCase().padStart(12, '0')}`),
      subjectPublicKeyInfo: exportSpkiDer(publicKey),
      validity: validity ?? { notBefore: days(this.now, -1), notAfter: days(this.now, 1000) },
      issuer: this.userAuthentication,
      crlDistributionPointUri: 'http://crl.jpki.example/user-authentication.crl',
      ocspUri: 'http://ocsp.jpki.example/user-authentication',
      cardCertificateNotAfter: days(this.now, 1500),
    });
    return { certificate, privateKey, serial: formatSerialNumber(serialNumber), sign: (challenge) => sign('sha256', challenge, privateKey) };
  }

  hold(serial: string, at = this.now): void {
    this.statuses.set(serial, { status: 'revoked', reason: 'certificateHold', revocationTime: at });
  }

  revoke(serial: string, reason: 'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation', at = this.now): void {
    this.statuses.set(serial, { status: 'revoked', reason, revocationTime: at });
  }

  release(serial: string): void {
    this.statuses.delete(serial);
  }

  /** An OCSP responder answering from `statuses` (echoes the nonce), as the responder of the certificates' CA. */
  async ocsp(requestDer: Buffer, at = this.now): Promise<Buffer> {
    const request = parseOcspRequest(requestDer);
    const signing = request.requests.every((single) => this.signingSerials.has(formatSerialNumber(single.certId.serialNumber)));
    const responses = request.requests.map((single) => ({
      certId: single.certId,
      status: this.statuses.get(formatSerialNumber(single.certId.serialNumber)) ?? ({ status: 'good' } as const),
      thisUpdate: at,
      nextUpdate: new Date(at.getTime() + 3_600_000),
    }));
    return buildOcspResponse({ responder: signing ? this.signingResponder : this.responder, producedAt: at, responses, nonce: request.nonce });
  }

  /** A complete CRL of the user-authentication CA from `statuses`. */
  completeCrl(at = this.now, entries = this.entries(at), validityMs = DAY): Promise<Buffer> {
    return issueCrl({ issuer: this.userAuthentication, crlNumber: this.crlNumber++, thisUpdate: at, nextUpdate: new Date(at.getTime() + validityMs), entries, deltaCrlUri: 'http://crl.jpki.example/user-authentication-delta.crl' });
  }

  /** A delta CRL against `baseCrlNumber` listing `entries`. */
  deltaCrl(baseCrlNumber: bigint, entries: CrlEntryInput[], at = this.now): Promise<Buffer> {
    return issueCrl({ issuer: this.userAuthentication, crlNumber: this.crlNumber++, baseCrlNumber, thisUpdate: at, nextUpdate: new Date(at.getTime() + DAY), entries });
  }

  /** A complete CRL of the digital-signature CA from `statuses` (the signing certificates' entries). */
  signingCrl(at = this.now): Promise<Buffer> {
    const entries = this.entries(at).filter((entry) => this.signingSerials.has(formatSerialNumber(entry.serialNumber)));
    return issueCrl({ issuer: this.digitalSignature, crlNumber: this.crlNumber++, thisUpdate: at, nextUpdate: new Date(at.getTime() + DAY), entries });
  }

  rootCrl(at = this.now): Promise<Buffer> {
    return issueCrl({ issuer: this.root, crlNumber: this.crlNumber++, thisUpdate: at, nextUpdate: new Date(at.getTime() + DAY), entries: [] });
  }

  private entries(at: Date): CrlEntryInput[] {
    return [...this.statuses].flatMap(([serialNumber, status]) =>
      status.status === 'revoked' ? [{ serialNumber, revocationDate: status.revocationTime > at ? at : status.revocationTime, reason: status.reason }] : [],
    );
  }
}

function delegatedResponder(signer: SoftwareRsaSigner, ca: 'user-authentication' | 'digital-signature', issuer: Authority, now: Date): Promise<Authority> {
  return issueCertificate({
    profile: 'jpki-ocsp-responder',
    serialNumber: ca === 'user-authentication' ? 0x0a01n : 0x0a02n,
    subject: jpkiOcspResponderName(ca),
    subjectPublicKeyInfo: signer.publicKeySpki,
    validity: { notBefore: days(now, -1), notAfter: days(now, 60) },
    issuer,
  }).then((certificate) => ({ signer, certificate }));
}
