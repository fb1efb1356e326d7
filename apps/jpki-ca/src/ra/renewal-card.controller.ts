import { Controller, HttpCode, Param, ParseUUIDPipe, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { CardError, CREDENTIAL_RULES } from '@jpki/mynumber-card';
import { ApiErrors, ApiZodBody, ApiZodResponse, AuditContextGuard, notFound, Operator, type OperatorPrincipal, RefusedCallAuditFilter, RequireRoles, unprocessable, ValidBody } from '@jpki/service-kit';
import { certificateSummary } from '../http/presenters';
import { certificateSummarySchema, citizenCreatedSchema } from '../http/schemas';
import { CitizenError } from './citizens.service';
import { requireMunicipalScope } from './operator-scope';
import { CardRenewalService } from './renewal-card.service';

const cardRenewalSchema = z.strictObject({
  signingPassword: z.string().regex(CREDENTIAL_RULES.signing.pattern, `signing password: ${CREDENTIAL_RULES.signing.description}`),
  userAuthenticationPin: z.string().regex(CREDENTIAL_RULES['user-authentication'].pattern, 'user-authentication PIN: exactly 4 digits'),
});

const cardRenewedSchema = citizenCreatedSchema.extend({
  superseded: z.array(certificateSummarySchema).describe('the previous card certificates, revoked as superseded'),
  cascaded: z.array(certificateSummarySchema).describe('phone certificates revoked by the card cascade (cessationOfOperation): apply again'),
});

/** Card renewal at the (simulated) municipal window. */
@ApiTags('citizens')
@Controller('citizens')
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class CardRenewalController {
  constructor(private readonly renewals: CardRenewalService) {}

  @Post(':personId/card/renewal')
  @HttpCode(201)
  @RequireRoles('integrator', 'operator')
  @ApiOperation({
    summary: 'Renew a person’s My Number card: new card certificates, the previous ones revoked as superseded',
    description:
      'The personal data is the one on record; the new card file is wrapped under the new signing password and PIN. ' +
      'The card cascade revokes the person’s phone certificates (cessationOfOperation): phones must apply again (docs/DESIGN.md §3.3).',
  })
  @ApiZodBody(cardRenewalSchema)
  @ApiZodResponse(201, cardRenewedSchema, 'new card issued, previous certificates superseded')
  @ApiErrors(400, 401, 403, 404, 422)
  async renew(
    @Param('personId', new ParseUUIDPipe()) personId: string,
    @ValidBody(cardRenewalSchema) body: z.infer<typeof cardRenewalSchema>,
    @Operator() operator: OperatorPrincipal,
  ): Promise<z.infer<typeof cardRenewedSchema>> {
    requireMunicipalScope(operator, 'renewing a card');
    try {
      const { issued, superseded, cascaded } = await this.renewals.renew(personId, body, `operator:${operator.sub}`, operator.sub);
      return {
        personId,
        cardFile: issued.cardFile as unknown as Record<string, unknown>,
        certificates: { signing: certificateSummary(issued.signing), userAuthentication: certificateSummary(issued.userAuthentication) },
        superseded: superseded.map(certificateSummary),
        cascaded: cascaded.map(certificateSummary),
      };
    } catch (error) {
      if (error instanceof CitizenError && error.reason === 'PERSON_UNKNOWN') throw notFound(error.reason, error.message);
      if (error instanceof CitizenError) throw unprocessable(error.reason, error.message);
      if (error instanceof CardError) throw unprocessable(error.reason, error.message);
      throw error;
    }
  }
}
