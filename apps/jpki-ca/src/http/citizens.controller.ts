import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CardError } from '@jpki/mynumber-card';
import { LintRejectionError, PersonalDataError } from '@jpki/pki';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodResponse,
  Clock,
  conflict,
  notFound,
  Operator,
  RequireRoles,
  unprocessable,
  ValidBody,
  type OperatorPrincipal,
} from '@jpki/service-kit';
import { CaTransactions } from '../ra/ca-transaction';
import { CitizenError, CitizensService } from '../ra/citizens.service';
import { personCertificatesInScope, requireMunicipalScope } from '../ra/operator-scope';
import { RevocationService } from '../ra/revocation.service';
import { CaStore } from '../storage/ca-store';
import { certificateSummary } from './presenters';
import {
  cardRevocationSchema,
  citizenCreatedSchema,
  citizenSchema,
  createCitizenSchema,
  revocationResultSchema,
  type CreateCitizenBody,
} from './schemas';
import type { z } from 'zod/v4';

/** Test citizens and their virtual My Number cards (SIMULATION of the municipal window). */
@ApiTags('citizens')
@Controller('citizens')
export class CitizensController {
  constructor(
    private readonly citizens: CitizensService,
    private readonly revocations: RevocationService,
    private readonly transactions: CaTransactions,
    private readonly store: CaStore,
    private readonly clock: Clock,
  ) {}

  @Post()
  @RequireRoles('integrator')
  @ApiOperation({
    summary: 'Issue a virtual My Number card for a synthetic person',
    description:
      'Returns the card file the device app keeps: the card signing certificate (with the 基本4情報 SAN) and the card user-authentication certificate, ' +
      'both RSA-2048, with their keys wrapped under the signing password (5 tries) and the 4-digit PIN (3 tries). The CA keeps no card key.',
  })
  @ApiZodBody(createCitizenSchema)
  @ApiZodResponse(201, citizenCreatedSchema, 'card issued')
  @ApiErrors(400, 401, 403, 409, 422)
  async create(@ValidBody(createCitizenSchema) body: CreateCitizenBody, @Operator() operator: OperatorPrincipal): Promise<z.infer<typeof citizenCreatedSchema>> {
    requireMunicipalScope(operator, 'issuing a card');
    try {
      const issued = await this.citizens.issue(body, `operator:${operator.sub}`);
      return {
        personId: issued.personId,
        cardFile: issued.cardFile as unknown as Record<string, unknown>,
        certificates: { signing: certificateSummary(issued.signing), userAuthentication: certificateSummary(issued.userAuthentication) },
      };
    } catch (error) {
      if (error instanceof CitizenError && error.reason === 'PERSON_EXISTS') throw conflict(error.reason, error.message);
      if (error instanceof CitizenError) throw unprocessable(error.reason, error.message);
      if (error instanceof PersonalDataError) throw unprocessable('PERSONAL_DATA_INVALID', error.message);
      if (error instanceof CardError) throw unprocessable(error.reason, error.message);
      if (error instanceof LintRejectionError) throw unprocessable('LINT_FAILED', error.message, error.findings);
      throw error;
    }
  }

  @Get(':personId')
  @RequireRoles('integrator', 'operator')
  @ApiOperation({
    summary: 'A person and all their certificates (card and phone) with status',
    description: 'A carrier-scoped token sees only a person with a phone certificate on its carrier, and of the phone certificates only those (403 CARRIER_SCOPE otherwise).',
  })
  @ApiZodResponse(200, citizenSchema, 'the person')
  @ApiErrors(401, 403, 404)
  async get(@Param('personId', new ParseUUIDPipe()) personId: string, @Operator() operator: OperatorPrincipal): Promise<z.infer<typeof citizenSchema>> {
    const person = await this.store.findPerson(personId);
    if (!person) throw notFound('PERSON_UNKNOWN', `no person ${personId}`);
    const certificates = personCertificatesInScope(operator, personId, await this.store.certificatesOfPerson(personId));
    await this.transactions.run(`operator:${operator.sub}`, async (tx) =>
      tx.audit({ occurredAt: this.clock.now(), action: 'citizen.viewed', subject: personId }),
    );
    return { personId, createdAt: person.createdAt.toISOString(), certificates: certificates.map(certificateSummary) };
  }

  @Post(':personId/card/revocation')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @ApiOperation({
    summary: 'Revoke (or hold) a card’s certificates, as a municipality would',
    description:
      'E.g. reason affiliationChanged on the signing certificate for a 4-info change (address, name…), keyCompromise on both for a stolen card, ' +
      'certificateHold for a lost card (never released). Cascades: the person’s active phone certificates are revoked with cessationOfOperation.',
  })
  @ApiZodBody(cardRevocationSchema)
  @ApiZodResponse(200, revocationResultSchema, 'revoked')
  @ApiErrors(400, 401, 403, 404, 409)
  async revokeCard(
    @Param('personId', new ParseUUIDPipe()) personId: string,
    @ValidBody(cardRevocationSchema) body: z.infer<typeof cardRevocationSchema>,
    @Operator() operator: OperatorPrincipal,
  ): Promise<z.infer<typeof revocationResultSchema>> {
    requireMunicipalScope(operator, 'revoking a card');
    const cards = await this.store.currentCardCertificates(personId);
    const kinds = body.certificates === 'both' ? (['card-signing', 'card-user-authentication'] as const) : body.certificates === 'signing' ? (['card-signing'] as const) : (['card-user-authentication'] as const);
    const targets = kinds.map((kind) => cards[kind]).filter((c) => c !== undefined);
    if (targets.length === 0) throw notFound('PERSON_UNKNOWN', `person ${personId} has no card certificates`);
    const result = await this.transactions.run(`operator:${operator.sub}`, async (tx) => {
      const changed = [];
      const cascaded = [];
      const refusals = [];
      for (const target of targets) {
        const outcome = await this.revocations.revoke(tx, {
          target: { by: 'serial', serial: target.serial },
          reason: body.reason,
          requestedBy: operator.sub,
          comment: body.comment,
        });
        if (outcome.ok) {
          changed.push(...outcome.changed);
          cascaded.push(...outcome.cascaded);
        } else refusals.push(outcome);
      }
      return { changed, cascaded, refusals };
    });
    if (result.changed.length === 0) {
      const first = result.refusals[0];
      throw conflict(first?.ok === false ? first.reason : 'NOTHING_TO_REVOKE', first?.ok === false ? first.detail : 'nothing changed');
    }
    return { changed: result.changed.map(certificateSummary), cascaded: result.cascaded.map(certificateSummary) };
  }
}
