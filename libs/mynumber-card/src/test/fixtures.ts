import { randomUUID, type KeyObject } from 'node:crypto';
import {
  digitalSignatureSubject,
  generateRsaKeyPair,
  issueCertificate,
  JPKI_ROOT_CA_NAME,
  jpkiDateOfBirth,
  jpkiIssuingCaName,
  SoftwareRsaSigner,
  userAuthenticationSubject,
} from '@jpki/pki';
import { issueCardFile, type CardFile } from '../index';

const DAY = 86_400_000;

export interface CardFixture {
  readonly file: CardFile;
  readonly signingKey: KeyObject;
  readonly authKey: KeyObject;
  readonly root: Buffer;
  readonly signingCa: Buffer;
  readonly authCa: Buffer;
}

export const PASSWORD = 'ABC123';
export const PIN = '1234';

/** A tiny SIMULATED hierarchy and one card; scrypt at its minimum cost to keep unit tests fast. */
export async function cardFixture(): Promise<CardFixture> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const [rootKey, signCaKey, authCaKey, signingKey, authKey] = await Promise.all(Array.from({ length: 5 }, () => generateRsaKeyPair()));
  const rootSigner = new SoftwareRsaSigner(rootKey.privateKey);
  const root = await issueCertificate({
    profile: 'jpki-root-ca',
    serialNumber: 1n,
    subject: JPKI_ROOT_CA_NAME,
    subjectPublicKeyInfo: rootSigner.publicKeySpki,
    validity: { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 3000 * DAY) },
    issuer: { signer: rootSigner },
  });
  const ca = async (fn: 'digital-signature' | 'user-authentication', key: KeyObject) => {
    const signer = new SoftwareRsaSigner(key);
    const certificate = await issueCertificate({
      profile: fn === 'digital-signature' ? 'jpki-digital-signature-ca' : 'jpki-user-authentication-ca',
      serialNumber: fn === 'digital-signature' ? 2n : 3n,
      subject: jpkiIssuingCaName(fn),
      subjectPublicKeyInfo: signer.publicKeySpki,
      validity: { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 2000 * DAY) },
      issuer: { signer: rootSigner, certificate: root },
      crlDistributionPointUri: 'http://127.0.0.1/crl/root.crl',
    });
    return { certificate, signer };
  };
  const signingCa = await ca('digital-signature', signCaKey.privateKey);
  const authCa = await ca('user-authentication', authCaKey.privateKey);
  const validity = { notBefore: now, notAfter: new Date(now.getTime() + 1000 * DAY) };
  const signingCertificate = await issueCertificate({
    profile: 'jpki-card-digital-signature',
    serialNumber: 0x1001n,
    subject: digitalSignatureSubject({ prefecture: 'Tokyo-to', municipality: 'Chiyoda-ku', commonName: '20260101000000000001A1' }),
    subjectPublicKeyInfo: new SoftwareRsaSigner(signingKey.privateKey).publicKeySpki,
    validity,
    issuer: signingCa,
    personalData: { name: '試験 花子', gender: '2', dateOfBirth: jpkiDateOfBirth('1990-04-01'), address: '東京都千代田区千代田１番１号' },
    crlDistributionPointUri: 'http://127.0.0.1/crl/digital-signature.crl',
    ocspUri: 'http://127.0.0.1/ocsp',
  });
  const authCertificate = await issueCertificate({
    profile: 'jpki-card-user-authentication',
    serialNumber: 0x1002n,
    subject: userAuthenticationSubject('CARDAUTH0001'),
    subjectPublicKeyInfo: new SoftwareRsaSigner(authKey.privateKey).publicKeySpki,
    validity,
    issuer: authCa,
    crlDistributionPointUri: 'http://127.0.0.1/crl/user-authentication.crl',
    ocspUri: 'http://127.0.0.1/ocsp',
  });
  const file = await issueCardFile({
    personId: randomUUID(),
    issuedAt: now,
    signing: { certificate: signingCertificate, privateKey: signingKey.privateKey },
    userAuthentication: { certificate: authCertificate, privateKey: authKey.privateKey },
    signingPassword: PASSWORD,
    userAuthenticationPin: PIN,
    caCertificates: { root, digitalSignature: signingCa.certificate, userAuthentication: authCa.certificate },
    kdf: { N: 1024, r: 8, p: 1 },
  });
  return { file, signingKey: signingKey.privateKey, authKey: authKey.privateKey, root, signingCa: signingCa.certificate, authCa: authCa.certificate };
}
