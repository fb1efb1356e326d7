import { Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiZodBody, ApiZodResponse, Operator, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import type { ChallengeView } from '../challenges/challenges';
import {
  challengeViewSchema,
  crlRefreshViewSchema,
  entryRequestSchema,
  entryViewSchema,
  gateConfigSchema,
  gateIdSchema,
  gateViewSchema,
  type CrlRefreshView,
  type EntryRequest,
  type EntryView,
  type GateConfig,
  type GateView,
} from '../tickets/tickets.schemas';
import { GatesService } from './gates.service';

const gateId = (id: string) => gateIdSchema.parse(id);

@ApiTags('gates')
@Controller('gates')
export class GatesController {
  constructor(private readonly gates: GatesService) {}

  @Put(':gateId')
  @RequireRoles('operator')
  @ApiParam({ name: 'gateId', example: 'hall-a-1' })
  @ApiOperation({
    summary: 'Create or reconfigure a gate: event, mode (online | offline) and CRL freshness limit',
    description: 'offline simulates a gate without network: entries are decided from its cached CRL only. A new gate gets its first CRL at once.',
  })
  @ApiZodBody(gateConfigSchema)
  @ApiZodResponse(200, gateViewSchema, 'the gate')
  @ApiErrors(400, 401, 403)
  configure(@Param('gateId') id: string, @ValidBody(gateConfigSchema) body: GateConfig, @Operator() operator: OperatorPrincipal): Promise<GateView> {
    return this.gates.configure(gateId(id), body, `operator:${operator.sub}`);
  }

  @Get(':gateId')
  @ApiOperation({ summary: 'A gate with the state of its CRL cache (number, thisUpdate/nextUpdate, last synchronisation, fresh)' })
  @ApiZodResponse(200, gateViewSchema, 'the gate')
  @ApiErrors(400, 404)
  view(@Param('gateId') id: string): Promise<GateView> {
    return this.gates.view(gateId(id));
  }

  @Post(':gateId/crl-refresh')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiOperation({
    summary: 'Synchronise the gate’s CRL cache with the CA (delta CRL when it applies, else the complete CRL)',
    description: 'The sync window of an offline gate. 503 CA_UNREACHABLE, 502 CRL_REJECTED (signature or issuer does not verify).',
  })
  @ApiZodResponse(200, crlRefreshViewSchema, 'the gate and what was downloaded')
  @ApiErrors(401, 403, 404, 502, 503)
  refresh(@Param('gateId') id: string, @Operator() operator: OperatorPrincipal): Promise<CrlRefreshView> {
    return this.gates.refresh(gateId(id), `operator:${operator.sub}`);
  }

  @Post(':gateId/challenges')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A gate challenge: 32 random bytes, single use at this gate, short-lived',
    description: 'Unauthenticated, so bounded: 503 CHALLENGE_CAPACITY_REACHED (Retry-After) while CHALLENGE_CAPACITY challenges are outstanding.',
  })
  @ApiZodResponse(201, challengeViewSchema, 'sign `challenge` with the key the ticket is bound to')
  @ApiErrors(404, 503)
  challenge(@Param('gateId') id: string): Promise<ChallengeView> {
    return this.gates.challenge(gateId(id));
  }

  @Post(':gateId/entries')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Enter: the holder’s signature over the gate challenge, with the ticket id and/or the certificate',
    description:
      'Checks the challenge (409 CHALLENGE_*), the ticket (404 TICKET_UNKNOWN / NO_TICKET_FOR_HOLDER, 403 TICKET_NOT_FOR_THIS_EVENT, ' +
      'HOLDER_MISMATCH), the signature with the key of the certificate the ticket is bound to (401 SIGNATURE_INVALID), the chain, ' +
      'and the status — online: OCSP (cached CRL if OCSP is unreachable); offline: cached CRL (503 CRL_STALE / CRL_UNAVAILABLE) — ' +
      '(403 CERTIFICATE_ON_HOLD / CERTIFICATE_REVOKED), then admits once (409 TICKET_ALREADY_USED).',
  })
  @ApiZodBody(entryRequestSchema)
  @ApiZodResponse(201, entryViewSchema, 'admitted')
  @ApiErrors(400, 401, 403, 404, 409, 503)
  enter(@Param('gateId') id: string, @ValidBody(entryRequestSchema) body: EntryRequest): Promise<EntryView> {
    return this.gates.enter(gateId(id), body);
  }
}
