/**
 * What the SP-TSM checks of a signed application before it records an enrollment: a CMS SignedData whose one
 * signature verifies with the certificate it carries, over an application (the CA's schema) that says what the
 * request says. Junk is refused here, at once and with nothing written; whether the signer is a genuine,
 * unrevoked My Number card is the CA's identity proofing, the saga's first step.
 */
import { phoneEnrollmentApplicationSchema, type PhoneEnrollmentApplication } from '@jpki/contracts';
import { verifyCms, type CmsFailureReason } from '@jpki/pki';
import { badRequest, unprocessable } from '@jpki/service-kit';

const SIGNATURE_FAILURES: readonly CmsFailureReason[] = [
  'CMS_SIGNATURE_INVALID',
  'CMS_MESSAGE_DIGEST_MISMATCH',
  'CMS_SIGNER_MISMATCH',
  'CMS_DIGEST_ALGORITHM_UNSUPPORTED',
  'CMS_SIGNATURE_ALGORITHM_UNSUPPORTED',
];

/** What the request says about the phone, in the application's words. */
export interface ExpectedApplication {
  readonly deviceKind: 'sim' | 'ese' | 'iphone';
  readonly keyMode: 'on-device' | 'ca-generated';
  /** SIM or eSE phone: the number and the operator (carrier or MVNO) of the subscription. */
  readonly msisdn?: string;
  readonly operator?: string;
  /** eSE phone: its embedded SE. */
  readonly seid?: string;
  /** iPhone: the device. */
  readonly deviceId?: string;
}

/** Fields in which the application differs from the request. */
export function applicationMismatches(application: Record<string, unknown>, expected: ExpectedApplication): string[] {
  const checks: [unknown, unknown, string][] = [
    [application['deviceKind'] ?? 'sim', expected.deviceKind, 'deviceKind'],
    [application['keyMode'], expected.keyMode, 'keyMode'],
    ...(expected.deviceKind === 'iphone'
      ? ([[application['deviceId'], expected.deviceId, 'deviceId']] as [unknown, unknown, string][])
      : ([
          [application['msisdn'], expected.msisdn, 'msisdn'],
          [application['mvno'] ?? application['carrier'], expected.operator, 'operator'],
          [application['seid'], expected.seid, 'seid'],
        ] as [unknown, unknown, string][])),
  ];
  return checks.filter(([actual, wanted]) => actual !== wanted).map(([, , field]) => field);
}

/**
 * The application, or the refusal: 400 APPLICATION_MALFORMED (not a CMS SignedData over an application),
 * 400 APPLICATION_SIGNATURE_INVALID (the signature does not verify), 422 APPLICATION_MISMATCH (signed for another
 * phone, number, operator or key mode than the request).
 */
export function checkSignedApplication(signedApplication: string, expected: ExpectedApplication): PhoneEnrollmentApplication {
  const cms = verifyCms(Buffer.from(signedApplication, 'base64'));
  if (!cms.signatureValid) {
    if (SIGNATURE_FAILURES.includes(cms.reason)) throw badRequest('APPLICATION_SIGNATURE_INVALID', `the application's signature does not verify (${cms.reason})`);
    throw badRequest('APPLICATION_MALFORMED', `signedApplication is not a CMS SignedData with one signer (${cms.reason})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(cms.content.toString('utf8'));
  } catch {
    throw badRequest('APPLICATION_MALFORMED', 'the signed content is not JSON');
  }
  const parsed = phoneEnrollmentApplicationSchema.safeParse(json);
  if (!parsed.success) {
    throw badRequest('APPLICATION_MALFORMED', parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ').slice(0, 512));
  }
  const mismatches = applicationMismatches(parsed.data as unknown as Record<string, unknown>, expected);
  if (mismatches.length > 0) throw unprocessable('APPLICATION_MISMATCH', `the signed application differs from the request in ${mismatches.join(', ')}`);
  return parsed.data;
}
