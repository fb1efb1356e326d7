import { HttpJson } from './http-json';
import type { RpChallenge, RpStatusView } from './rp-bank-client';
import type { ChallengeAnswer, ChallengeSigner } from './rp-challenge-signer';

export interface TicketView {
  ticketId: string;
  eventId: string;
  status: 'valid' | 'used';
  holder: { serial: string; subject: string; spkiSha256: string };
  purchasedAt: string;
  usedAt?: string;
  usedAtGate?: string;
}

export type GateMode = 'online' | 'offline';

export interface GateView {
  gateId: string;
  eventId: string;
  mode: GateMode;
  crlMaxAgeSeconds: number;
  crl: null | {
    crlNumber: string;
    thisUpdate: string;
    nextUpdate: string | null;
    fetchedAt: string;
    revokedEntries: number;
    fresh: boolean;
    staleDetail?: string;
  };
}

export interface CrlRefreshView extends GateView {
  sync: { kind: 'delta' | 'complete' | 'unchanged'; bytes: number };
}

export interface GateEntry {
  entryId: string;
  gateId: string;
  ticketId: string;
  admittedAt: string;
  mode: GateMode;
  status: RpStatusView;
}

export interface EnterOptions {
  /** Which ticket; without it the gate looks for an unused ticket of its event bound to the presented certificate. */
  ticketId?: string;
  /** Send the certificate along (default true when no ticketId is given). */
  presentCertificate?: boolean;
}

/** The ticketless relying party (apps/rp-ticketing): purchase bound to the certificate, entry at a gate. */
export class TicketingClient {
  constructor(
    readonly baseUrl: string,
    /** Operator token for gate administration (mode, CRL refresh). */
    private readonly operatorToken?: string,
  ) {}

  purchaseChallenge(): Promise<RpChallenge> {
    return new HttpJson(this.baseUrl).post<RpChallenge>('/tickets/challenges');
  }

  submitPurchase(eventId: string, challengeId: string, answer: ChallengeAnswer): Promise<TicketView> {
    return new HttpJson(this.baseUrl).post<TicketView>('/tickets', {
      eventId,
      challengeId,
      signature: answer.signature.toString('base64'),
      certificate: answer.certificate.toString('base64'),
    });
  }

  /** Buys a ticket bound to the certificate whose key signs the purchase challenge. */
  async buy(eventId: string, sign: ChallengeSigner): Promise<TicketView> {
    const { challengeId, challenge } = await this.purchaseChallenge();
    return this.submitPurchase(eventId, challengeId, await sign(Buffer.from(challenge, 'base64')));
  }

  ticket(ticketId: string): Promise<TicketView> {
    return new HttpJson(this.baseUrl).get<TicketView>(`/tickets/${encodeURIComponent(ticketId)}`);
  }

  configureGate(gateId: string, config: { eventId: string; mode: GateMode; crlMaxAgeSeconds?: number }): Promise<GateView> {
    return new HttpJson(this.baseUrl, this.operatorToken).put<GateView>(`/gates/${encodeURIComponent(gateId)}`, config);
  }

  gate(gateId: string): Promise<GateView> {
    return new HttpJson(this.baseUrl).get<GateView>(`/gates/${encodeURIComponent(gateId)}`);
  }

  refreshGateCrl(gateId: string): Promise<CrlRefreshView> {
    return new HttpJson(this.baseUrl, this.operatorToken).post<CrlRefreshView>(`/gates/${encodeURIComponent(gateId)}/crl-refresh`);
  }

  gateChallenge(gateId: string): Promise<RpChallenge> {
    return new HttpJson(this.baseUrl).post<RpChallenge>(`/gates/${encodeURIComponent(gateId)}/challenges`);
  }

  submitEntry(gateId: string, challengeId: string, answer: ChallengeAnswer, options: EnterOptions = {}): Promise<GateEntry> {
    const present = options.presentCertificate ?? !options.ticketId;
    return new HttpJson(this.baseUrl).post<GateEntry>(`/gates/${encodeURIComponent(gateId)}/entries`, {
      challengeId,
      signature: answer.signature.toString('base64'),
      ...(present ? { certificate: answer.certificate.toString('base64') } : {}),
      ...(options.ticketId ? { ticketId: options.ticketId } : {}),
    });
  }

  /** The holder taps the gate: the gate's challenge is signed with the key the ticket is bound to. */
  async enter(gateId: string, sign: ChallengeSigner, options: EnterOptions = {}): Promise<GateEntry> {
    const { challengeId, challenge } = await this.gateChallenge(gateId);
    return this.submitEntry(gateId, challengeId, await sign(Buffer.from(challenge, 'base64')), options);
  }
}
