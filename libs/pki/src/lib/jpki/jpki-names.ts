/**
 * Distinguished names of the SIMULATED JPKI hierarchy. They follow the J-LIS layout of docs/DESIGN.md §3.6
 * and add a final `CN=SIMULATED …` RDN: the real J-LIS CA names carry no CN, so the marker both labels
 * every artefact as a simulation and keeps the root and issuing CA names distinct.
 */
import type { DistinguishedName } from '../names/distinguished-name';

export const JPKI_SIMULATION_MARKER = 'SIMULATED';

const JLIS_OU = 'Japan Agency for Local Authority Information Systems';

export type JpkiCaFunction = 'user-authentication' | 'digital-signature';

const FUNCTION_OU: Readonly<Record<JpkiCaFunction, string>> = {
  'user-authentication': 'JPKI for user authentication',
  'digital-signature': 'JPKI for digital signature',
};

const FUNCTION_LABEL: Readonly<Record<JpkiCaFunction, string>> = {
  'user-authentication': 'User Authentication',
  'digital-signature': 'Digital Signature',
};

export const JPKI_ROOT_CA_NAME: DistinguishedName = [
  { type: 'C', value: 'JP' },
  { type: 'O', value: 'JPKI' },
  { type: 'OU', value: JLIS_OU },
  { type: 'CN', value: `${JPKI_SIMULATION_MARKER} JPKI Root CA` },
];

/** `C=JP, O=JPKI, OU=JPKI for <function>, OU=Japan Agency…, CN=SIMULATED JPKI <Function> CA[ <generation>]`. */
export function jpkiIssuingCaName(caFunction: JpkiCaFunction, generation?: string): DistinguishedName {
  return functionName(caFunction, 'CA', generation);
}

/** The issuing CA's name with `OCSP Responder[ <instance>]` in place of `CA[ <generation>]`. */
export function jpkiOcspResponderName(caFunction: JpkiCaFunction, instance?: string): DistinguishedName {
  return functionName(caFunction, 'OCSP Responder', instance);
}

function functionName(caFunction: JpkiCaFunction, role: string, suffix?: string): DistinguishedName {
  return [
    { type: 'C', value: 'JP' },
    { type: 'O', value: 'JPKI' },
    { type: 'OU', value: FUNCTION_OU[caFunction] },
    { type: 'OU', value: JLIS_OU },
    { type: 'CN', value: `${JPKI_SIMULATION_MARKER} JPKI ${FUNCTION_LABEL[caFunction]} ${role}${suffix ? ` ${suffix}` : ''}` },
  ];
}

/** issuerAltName directoryName of every JPKI certificate: `C=JP, O=公的個人認証サービス` (UTF8String). */
export const JPKI_ISSUER_ALT_NAME: DistinguishedName = [
  { type: 'C', value: 'JP' },
  { type: 'O', value: '公的個人認証サービス' },
];

/** 利用者証明用 subject (card or phone): `C=JP, CN=<opaque id>`, deliberately free of personal data. */
export function userAuthenticationSubject(opaqueId: string): DistinguishedName {
  return [
    { type: 'C', value: 'JP' },
    { type: 'CN', value: opaqueId },
  ];
}

export interface DigitalSignatureSubjectInput {
  /** Prefecture of the issuing municipality, e.g. `Tokyo-to`. */
  readonly prefecture: string;
  /** Issuing municipality, e.g. `Chiyoda-ku`. */
  readonly municipality: string;
  /** Opaque CN (J-LIS: YYYYMMDDhhmmss + sequence + reception-window code). */
  readonly commonName: string;
}

/** 署名用 subject: `C=JP, L=<prefecture>, L=<municipality>, CN=<opaque>`. */
export function digitalSignatureSubject(input: DigitalSignatureSubjectInput): DistinguishedName {
  return [
    { type: 'C', value: 'JP' },
    { type: 'L', value: input.prefecture },
    { type: 'L', value: input.municipality },
    { type: 'CN', value: input.commonName },
  ];
}
