import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { counter } from '@jpki/observability';
import { Clock, DomainHttpException, notFound } from '@jpki/service-kit';
import { Challenges, type ChallengeView } from '../challenges/challenges';
import { holderRefused, TicketingVerifier } from '../verification/ticketing-verifier';
import type { PurchaseRequest, TicketView } from './tickets.schemas';

export interface TicketRow {
  ticket_id: string;
  event_id: string;
  holder_serial: string;
  holder_spki_sha256: string;
  holder_subject: string;
  holder_certificate: Buffer;
  purchased_at: Date;
  status: 'valid' | 'used';
  used_at: Date | null;
  used_gate_id: string | null;
}

export function ticketView(row: TicketRow): TicketView {
  return {
    ticketId: row.ticket_id,
    eventId: row.event_id,
    status: row.status,
    holder: { serial: row.holder_serial, subject: row.holder_subject, spkiSha256: row.holder_spki_sha256 },
    purchasedAt: row.purchased_at.toISOString(),
    ...(row.used_at ? { usedAt: row.used_at.toISOString() } : {}),
    ...(row.used_gate_id ? { usedAtGate: row.used_gate_id } : {}),
  };
}

/**
 * Purchase: the buyer proves possession of the user-authentication key with a signature over a purchase
 * challenge, verified online (signature, chain, OCSP); the ticket is bound to that certificate.
 */
@Injectable()
export class TicketsService {
  private readonly purchases = counter('rp_ticketing_purchases_total', 'Ticket purchases by outcome', ['outcome']);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly challenges: Challenges,
    private readonly verifier: TicketingVerifier,
  ) {}

  challenge(): Promise<ChallengeView> {
    return this.challenges.issue({ purpose: 'purchase' });
  }

  async purchase(request: PurchaseRequest): Promise<TicketView> {
    try {
      const challenge = await this.challenges.consume(request.challengeId, { purpose: 'purchase' });
      const certificate = Buffer.from(request.certificate, 'base64');
      const now = this.clock.now();
      const verified = await this.verifier.verify(challenge, Buffer.from(request.signature, 'base64'), certificate, now);
      if (!verified.ok) throw holderRefused(verified);
      const { holder } = verified;
      const [row] = (await this.ds.query(
        `INSERT INTO ticket (ticket_id, event_id, holder_serial, holder_spki_sha256, holder_subject, holder_certificate, purchased_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid') RETURNING *`,
        [randomUUID(), request.eventId, holder.serial, holder.spkiSha256, holder.subject, certificate, now],
      )) as TicketRow[];
      this.purchases.inc({ outcome: 'OK' });
      return ticketView(row);
    } catch (error) {
      if (error instanceof DomainHttpException) this.purchases.inc({ outcome: error.reason });
      throw error;
    }
  }

  async get(ticketId: string): Promise<TicketView> {
    const [row] = (await this.ds.query(`SELECT * FROM ticket WHERE ticket_id = $1`, [ticketId])) as TicketRow[];
    if (!row) throw notFound('TICKET_UNKNOWN', `no ticket ${ticketId}`);
    return ticketView(row);
  }
}
