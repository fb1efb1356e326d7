import { HttpJson } from './http-json';
import type { ChallengeAnswer, ChallengeSigner } from './rp-challenge-signer';

export interface RpChallenge {
  challengeId: string;
  /** base64 of 32 random bytes. */
  challenge: string;
  expiresAt: string;
}

export interface RpHolderView {
  serial: string;
  subject: string;
  spkiSha256: string;
  keyType: 'rsa' | 'ec';
  notAfter: string;
}

export interface RpStatusView {
  source: 'ocsp' | 'crl';
  checkedAt: string;
  ocspProducedAt?: string;
  crlNumber?: string;
  note?: string;
}

export interface BankLogin {
  sessionId: string;
  /** Bearer token for the bank API; only its SHA-256 is stored by the bank. */
  sessionToken: string;
  expiresAt: string;
  holder: RpHolderView;
  account: { accountId: string; holderSubject: string };
  status: RpStatusView;
}

export interface BankAccountView {
  account: {
    accountId: string;
    holderSubject: string;
    openedAt: string;
    balanceYen: number;
    transactions: { at: string; description: string; amountYen: number }[];
  };
  session: { sessionId: string; certificateSerial: string; expiresAt: string; statusCheckedAt: string };
}

/** The internet-banking relying party (apps/rp-bank) from the phone's side. */
export class BankClient {
  constructor(readonly baseUrl: string) {}

  challenge(): Promise<RpChallenge> {
    return new HttpJson(this.baseUrl).post<RpChallenge>('/login/challenges');
  }

  submitLogin(challengeId: string, answer: ChallengeAnswer): Promise<BankLogin> {
    return new HttpJson(this.baseUrl).post<BankLogin>('/login', {
      challengeId,
      signature: answer.signature.toString('base64'),
      certificate: answer.certificate.toString('base64'),
    });
  }

  /** Challenge → the phone signs (PIN or biometrics) → the bank verifies signature, chain and OCSP → session. */
  async login(sign: ChallengeSigner): Promise<BankLogin> {
    const { challengeId, challenge } = await this.challenge();
    return this.submitLogin(challengeId, await sign(Buffer.from(challenge, 'base64')));
  }

  account(sessionToken: string): Promise<BankAccountView> {
    return new HttpJson(this.baseUrl, sessionToken).get<BankAccountView>('/accounts/me');
  }

  async logout(sessionToken: string): Promise<void> {
    await new HttpJson(this.baseUrl, sessionToken).post('/logout');
  }
}
