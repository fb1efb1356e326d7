import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CardError } from '@jpki/mynumber-card';
import { createLogger } from '@jpki/observability';
import { LintRejectionError, PersonalDataError } from '@jpki/pki';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodResponse,
  AuditContextGuard,
  Clock,
  conflict,
  errorBodySchema,
  httpErrorBody,
  notFound,
  Operator,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  RequireRoles,
  unprocessable,
  ValidBody,
} from '@jpki/service-kit';
import { BasicInformationService } from '../ra/basic-information.service';
import { CaTransactions } from '../ra/ca-transaction';
import { CitizenError, CitizensService } from '../ra/citizens.service';
import { personCertificatesInScope, requireMunicipalScope } from '../ra/operator-scope';
import { RevocationService } from '../ra/revocation.service';
import { CaStore } from '../storage/ca-store';
import { CARD_KINDS } from '../storage/types';
import { certificateSummary } from './presenters';
import {
  basicInformationChangeSchema,
  cardRevocationSchema,
  citizenCreatedSchema,
  citizenSchema,
  CITIZEN_BATCH_MAX,
  citizensCreatedSchema,
  createCitizenSchema,
  createCitizensSchema,
  revocationResultSchema,
  type CreateCitizenBody,
  type CreateCitizensBody,
} from './schemas';
import type { z } from 'zod/v4';

/** Test citizens and their virtual My Number cards (SIMULATION of the municipal window). */
@ApiTags('citizens')
@Controller('citizens')
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class CitizensController {
  private readonly log = createLogger('jpki-ca.citizens');

  constructor(
    private readonly citizens: CitizensService,
    private readonly revocations: RevocationService,
    private readonly basicInformation: BasicInformationService,
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
      return await this.issueCard(body, operator);
    } catch (error) {
      throw citizenRefusal(error);
    }
  }

  @Post('batch')
  @HttpCode(200)
  @RequireRoles('integrator')
  @ApiOperation({
    summary: `Issue virtual My Number cards for up to ${CITIZEN_BATCH_MAX} synthetic people at once`,
    description:
      'Each person is issued exactly as POST /citizens issues one, a few at a time; the answer lists, in the order asked, each card file or ' +
      'the refusal (status and reason) POST /citizens would have given. A refused person changes nothing; the others are issued. ' +
      'A body that does not validate (any person, or a personId given twice) is refused whole with 400 VALIDATION_FAILED.',
  })
  @ApiZodBody(createCitizensSchema)
  @ApiZodResponse(200, citizensCreatedSchema, 'one result per person')
  @ApiErrors(400, 401, 403, 413)
  async createBatch(@ValidBody(createCitizensSchema) body: CreateCitizensBody, @Operator() operator: OperatorPrincipal): Promise<z.infer<typeof citizensCreatedSchema>> {
    requireMunicipalScope(operator, 'issuing a card');
    const results: z.infer<typeof citizensCreatedSchema>['results'] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < body.citizens.length; index = next++) {
        try {
          results[index] = { index, statusCode: 201 as const, ...(await this.issueCard(body.citizens[index], operator)) };
        } catch (error) {
          const refusal = citizenRefusal(error);
          if (refusal === error) this.log.error({ err: error, index }, 'card issuance in a batch failed');
          results[index] = { index, ...(httpErrorBody(refusal).body as z.infer<typeof errorBodySchema>) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CITIZEN_BATCH_CONCURRENCY, body.citizens.length) }, worker));
    const refused = results.filter((r) => r.statusCode !== 201);
    await this.transactions.run(`operator:${operator.sub}`, async (tx) =>
      tx.audit({
        occurredAt: this.clock.now(),
        action: 'citizens.batch',
        subject: 'citizens',
        details: {
          issued: results.flatMap((r) => ('personId' in r ? [r.personId] : [])),
          refused: refused.map((r) => ({ index: r.index, statusCode: r.statusCode, reason: 'reason' in r ? r.reason : undefined })),
        },
      }),
    );
    return { issued: results.length - refused.length, refused: refused.length, results };
  }

  private async issueCard(body: CreateCitizenBody, operator: OperatorPrincipal): Promise<z.infer<typeof citizenCreatedSchema>> {
    const issued = await this.citizens.issue(body, `operator:${operator.sub}`);
    return {
      personId: issued.personId,
      cardFile: issued.cardFile as unknown as Record<string, unknown>,
      certificates: { signing: certificateSummary(issued.signing), userAuthentication: certificateSummary(issued.userAuthentication) },
    };
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
      'E.g. keyCompromise on both for a stolen card, certificateHold for a lost card (never released); a 4-info change is ' +
      'POST /citizens/{personId}/basic-information-changes. Cascade by function, with cessationOfOperation: revoking or holding the ' +
      'user-authentication certificate revokes the person’s active phone user-authentication certificates, the signing certificate ' +
      'their phone signing certificates.',
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
    const kinds = body.certificates === 'both' ? CARD_KINDS : body.certificates === 'signing' ? (['card-signing'] as const) : (['card-user-authentication'] as const);
    const targets = kinds.map((kind) => cards[kind]).filter((c) => c !== undefined);
    if (targets.length === 0) throw notFound('PERSON_UNKNOWN', `person ${personId} has no card certificates`);
    const result = await this.transactions.run(`operator:${operator.sub}`, (tx) =>
      this.revocations.revokeCardCertificates(tx, targets, { reason: body.reason, requestedBy: operator.sub, comment: body.comment }),
    );
    if (result.changed.length === 0) {
      const [first] = result.refusals;
      throw conflict(first?.reason ?? 'NOTHING_TO_REVOKE', first?.detail ?? 'nothing changed');
    }
    return { changed: result.changed.map(certificateSummary), cascaded: result.cascaded.map(certificateSummary) };
  }

  @Post(':personId/basic-information-changes')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @ApiOperation({
    summary: 'Record a change of the person’s basic four details (基本4情報) at the municipality',
    description:
      'A name, address, date-of-birth or gender change: the person record takes the new values (the next card renewal issues the signing ' +
      'certificate with them) and every signing certificate of the person, carrying the old ones, is revoked with affiliationChanged. ' +
      'The user-authentication certificates, card and phone, carry no personal data and stay valid. `changed` lists the card signing ' +
      'certificate revoked (nothing when it was revoked already), `cascaded` the phone signing certificates revoked with it.',
  })
  @ApiZodBody(basicInformationChangeSchema)
  @ApiZodResponse(200, revocationResultSchema, 'recorded')
  @ApiErrors(400, 401, 403, 404, 422)
  async changeBasicInformation(
    @Param('personId', new ParseUUIDPipe()) personId: string,
    @ValidBody(basicInformationChangeSchema) body: z.infer<typeof basicInformationChangeSchema>,
    @Operator() operator: OperatorPrincipal,
  ): Promise<z.infer<typeof revocationResultSchema>> {
    requireMunicipalScope(operator, 'recording a basic-information change');
    const { comment, ...change } = body;
    try {
      const revoked = await this.basicInformation.change(personId, change, operator.sub, comment);
      return { changed: revoked.changed.map(certificateSummary), cascaded: revoked.cascaded.map(certificateSummary) };
    } catch (error) {
      if (error instanceof CitizenError && error.reason === 'PERSON_UNKNOWN') throw notFound(error.reason, error.message);
      if (error instanceof CitizenError) throw unprocessable(error.reason, error.message);
      if (error instanceof PersonalDataError) throw unprocessable('PERSONAL_DATA_INVALID', error.message);
      throw error;
    }
  }
}

/**
 * A few cards in flight: their key generations and card-file key wrapping run on the libuv pool while the CA signs
 * and stores the others.
 */
const CITIZEN_BATCH_CONCURRENCY = 4;

/** The refusal a card issuance error is answered with (409 or 422 and its reason); any other error as it is. */
function citizenRefusal(error: unknown): unknown {
  if (error instanceof CitizenError && error.reason === 'PERSON_EXISTS') return conflict(error.reason, error.message);
  if (error instanceof CitizenError) return unprocessable(error.reason, error.message);
  if (error instanceof PersonalDataError) return unprocessable('PERSONAL_DATA_INVALID', error.message);
  if (error instanceof CardError) return unprocessable(error.reason, error.message);
  if (error instanceof LintRejectionError) return unprocessable('LINT_FAILED', error.message, error.findings);
  return error;
}
