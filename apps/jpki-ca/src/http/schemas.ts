import { z } from 'zod/v4';
import { certificateKindSchema, deviceBindingSchema, revocationReasonSchema, serialSchema } from '@jpki/contracts';
import { CREDENTIAL_RULES } from '@jpki/mynumber-card';
import { errorBodySchema } from '@jpki/service-kit';

export const createCitizenSchema = z.strictObject({
  personId: z.uuid().optional().describe('choose the person id (default: random UUID)'),
  name: z.string().trim().min(1).max(100).describe('氏名 as printed on the card (SAN otherName 1.2.392.200149.8.5.5.1)'),
  nameSubstitute: z.string().max(100).optional(),
  gender: z.enum(['male', 'female', 'other']),
  dateOfBirth: z.iso.date().refine((d) => d >= '1868-01-25', 'date of birth before the Meiji era'),
  address: z.string().trim().min(1).max(200),
  prefecture: z.string().trim().min(1).max(64).describe('issuing municipality’s prefecture (subject L)'),
  municipality: z.string().trim().min(1).max(64).describe('issuing municipality (subject L)'),
  signingPassword: z.string().regex(CREDENTIAL_RULES.signing.pattern, `signing password: ${CREDENTIAL_RULES.signing.description}`),
  userAuthenticationPin: z.string().regex(CREDENTIAL_RULES['user-authentication'].pattern, 'user-authentication PIN: exactly 4 digits'),
});
export type CreateCitizenBody = z.infer<typeof createCitizenSchema>;

export const certificateSummarySchema = z.object({
  serial: serialSchema,
  kind: certificateKindSchema,
  issuerCa: z.enum(['user-authentication', 'digital-signature']),
  status: z.enum(['good', 'on-hold', 'revoked']),
  revocationReason: revocationReasonSchema.nullable(),
  revokedAt: z.iso.datetime().nullable(),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  issuedAt: z.iso.datetime(),
  enrollmentId: z.string().nullable(),
  device: deviceBindingSchema.nullable(),
  certificate: z.string().describe('DER, base64'),
});

export const citizenCreatedSchema = z.object({
  personId: z.uuid(),
  cardFile: z.record(z.string(), z.unknown()).describe('jpki-virtual-mynumber-card/1 (see @jpki/mynumber-card); keys wrapped, never in clear'),
  certificates: z.object({ signing: certificateSummarySchema, userAuthentication: certificateSummarySchema }),
});

/** How many people one `POST /citizens/batch` may ask for: each costs two RSA key generations and two signatures. */
export const CITIZEN_BATCH_MAX = 100;

export const createCitizensSchema = z.strictObject({
  citizens: z
    .array(createCitizenSchema)
    .min(1)
    .max(CITIZEN_BATCH_MAX)
    .refine((citizens) => new Set(citizens.flatMap((c) => c.personId ?? [])).size === citizens.filter((c) => c.personId).length, 'personId appears twice')
    .describe(`1 to ${CITIZEN_BATCH_MAX} people, each as POST /citizens takes one`),
});
export type CreateCitizensBody = z.infer<typeof createCitizensSchema>;

export const citizensCreatedSchema = z.object({
  issued: z.number().int(),
  refused: z.number().int(),
  results: z
    .array(
      z.union([
        citizenCreatedSchema.extend({ index: z.number().int(), statusCode: z.literal(201) }),
        errorBodySchema.extend({ index: z.number().int() }),
      ]),
    )
    .describe('one per person, in the order asked: the card as POST /citizens answers it, or the refusal POST /citizens would have given'),
});

export const citizenSchema = z.object({ personId: z.uuid(), createdAt: z.iso.datetime(), certificates: z.array(certificateSummarySchema) });

const subscriberReason = revocationReasonSchema.exclude(['removeFromCRL', 'cACompromise']);

export const cardRevocationSchema = z.strictObject({
  certificates: z.enum(['signing', 'user-authentication', 'both']).default('both'),
  reason: subscriberReason.describe('keyCompromise, certificateHold (never released for cards), cessationOfOperation…'),
  comment: z.string().max(512).optional(),
});

export const basicInformationChangeSchema = createCitizenSchema
  .pick({ name: true, nameSubstitute: true, gender: true, dateOfBirth: true, address: true, prefecture: true, municipality: true })
  .partial()
  .extend({ comment: z.string().max(512).optional() })
  .refine((body) => body.name ?? body.gender ?? body.dateOfBirth ?? body.address, 'give the new value of at least one of name, gender, dateOfBirth, address')
  .describe('the new values of the details that changed (the basic four details, 基本4情報; prefecture and municipality with a move)');

export const certificateRevocationSchema = z.strictObject({ reason: subscriberReason, comment: z.string().max(512).optional() });

export const revocationResultSchema = z.object({
  changed: z.array(certificateSummarySchema),
  cascaded: z.array(certificateSummarySchema).describe('phone certificates revoked by the card cascade (cessationOfOperation)'),
});

export const auditVerificationSchema = z.object({
  valid: z.boolean(),
  entries: z.number().int(),
  firstInvalidSeq: z.number().int().nullable(),
  problem: z.string().nullable(),
  headSeq: z.number().int().nullable(),
  headHash: z.string().nullable(),
});

export const auditQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  action: z.string().max(64).optional(),
  subject: z.string().max(128).optional(),
});

export const caListSchema = z.array(
  z.object({
    name: z.string(),
    subject: z.string(),
    serial: serialSchema,
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    der: z.string().describe('URL of the DER certificate'),
    pem: z.string().describe('URL of the PEM certificate'),
    crl: z.string().optional(),
    deltaCrl: z.string().optional(),
  }),
);
