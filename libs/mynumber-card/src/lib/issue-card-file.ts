import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { decodeCertificate } from '@jpki/pki';
import { CARD_FILE_FORMAT, parseCardFile, wrappedKeyAad, type CardFile } from './card-file';
import { CREDENTIAL_RULES, credentialFormatProblem, type CardSlot } from './credentials';
import { CardError } from './errors';
import { DEFAULT_SCRYPT_PARAMETERS, wrapKey, type ScryptParameters } from './key-wrap';

export interface CardKeyMaterial {
  /** DER certificate. */
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

export interface IssueCardFileRequest {
  readonly personId: string;
  readonly cardId?: string;
  readonly issuedAt: Date;
  readonly signing: CardKeyMaterial;
  readonly userAuthentication: CardKeyMaterial;
  readonly signingPassword: string;
  readonly userAuthenticationPin: string;
  readonly caCertificates: { readonly root: Buffer; readonly digitalSignature: Buffer; readonly userAuthentication: Buffer };
  /** Default DEFAULT_SCRYPT_PARAMETERS; tests may lower N (≥ 2^10). */
  readonly kdf?: ScryptParameters;
}

/** Builds a card file ("manufactures and personalises the card"): keys wrapped, counters full. */
export async function issueCardFile(request: IssueCardFileRequest): Promise<CardFile> {
  const cardId = request.cardId ?? randomUUID();
  const kdf = request.kdf ?? DEFAULT_SCRYPT_PARAMETERS;
  const slot = async (which: CardSlot, material: CardKeyMaterial, credential: string) => {
    const problem = credentialFormatProblem(which, credential);
    if (problem) throw new CardError('CREDENTIAL_FORMAT_INVALID', problem, undefined, which);
    const certificateSpki = decodeCertificate(material.certificate).tbs.subjectPublicKeyInfo;
    const keySpki = createPublicKey(material.privateKey).export({ type: 'spki', format: 'der' });
    if (!certificateSpki.equals(keySpki)) throw new CardError('CARD_FILE_INVALID', `the ${which} key does not match its certificate`);
    const certificate = material.certificate.toString('base64');
    const pkcs8 = material.privateKey.export({ type: 'pkcs8', format: 'der' });
    const wrappedKey = await wrapKey(pkcs8, credential, wrappedKeyAad(cardId, which, certificate), kdf);
    pkcs8.fill(0);
    const maxTries = CREDENTIAL_RULES[which].maxTries;
    return { certificate, maxTries, triesRemaining: maxTries, wrappedKey };
  };
  const [signing, userAuthentication] = await Promise.all([
    slot('signing', request.signing, request.signingPassword),
    slot('user-authentication', request.userAuthentication, request.userAuthenticationPin),
  ]);
  return parseCardFile({
    format: CARD_FILE_FORMAT,
    simulated: true,
    cardId,
    personId: request.personId,
    issuedAt: request.issuedAt.toISOString(),
    revision: 0,
    signing,
    userAuthentication,
    caCertificates: {
      root: request.caCertificates.root.toString('base64'),
      digitalSignature: request.caCertificates.digitalSignature.toString('base64'),
      userAuthentication: request.caCertificates.userAuthentication.toString('base64'),
    },
  });
}
