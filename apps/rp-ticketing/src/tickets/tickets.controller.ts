import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiZodBody, ApiZodResponse, ValidBody } from '@jpki/service-kit';
import type { ChallengeView } from '../challenges/challenges';
import { challengeViewSchema, purchaseRequestSchema, ticketViewSchema, type PurchaseRequest, type TicketView } from './tickets.schemas';
import { TicketsService } from './tickets.service';

@ApiTags('tickets')
@Controller('tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Post('challenges')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A purchase challenge: 32 random bytes, single use, short-lived',
    description: 'Unauthenticated, so bounded: 503 CHALLENGE_CAPACITY_REACHED (Retry-After) while CHALLENGE_CAPACITY challenges are outstanding.',
  })
  @ApiZodResponse(201, challengeViewSchema, 'sign `challenge` with the phone’s user-authentication key')
  @ApiErrors(503)
  challenge(): Promise<ChallengeView> {
    return this.tickets.challenge();
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Buy a ticket bound to the certificate whose key signed the purchase challenge',
    description:
      'Verified online: challenge (409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / CHALLENGE_UNKNOWN), signature (401 SIGNATURE_INVALID), ' +
      'chain to the JPKI user-authentication CA (401 CHAIN_UNTRUSTED, CERTIFICATE_EXPIRED…), OCSP (403 CERTIFICATE_REVOKED, ' +
      'CERTIFICATE_ON_HOLD; 503 STATUS_UNAVAILABLE).',
  })
  @ApiZodBody(purchaseRequestSchema)
  @ApiZodResponse(201, ticketViewSchema, 'the ticket')
  @ApiErrors(400, 401, 403, 409, 503)
  purchase(@ValidBody(purchaseRequestSchema) body: PurchaseRequest): Promise<TicketView> {
    return this.tickets.purchase(body);
  }

  @Get(':ticketId')
  @ApiOperation({ summary: 'A ticket: event, holder binding, status (valid/used)' })
  @ApiZodResponse(200, ticketViewSchema, 'the ticket')
  @ApiErrors(400, 404)
  get(@Param('ticketId', new ParseUUIDPipe()) ticketId: string): Promise<TicketView> {
    return this.tickets.get(ticketId);
  }
}
