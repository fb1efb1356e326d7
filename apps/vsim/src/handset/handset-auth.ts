import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { HttpStatus } from '@nestjs/common';
import type { Refusal } from './access-control';

/**
 * Handset request authentication: only the handset the card was put in may reach it through the handset channel.
 *
 * When a card is put in a handset (a SIM in a phone, or an eSE's phone recorded), the vSIM records the handset's IMEI
 * and its device public key (Ed25519). Every handset-channel request then carries
 * `X-Handset-Signature: v1 imei=…;session=…;ts=…;nonce=…;sig=…`, where `sig` is the Ed25519 signature (base64url) of
 * the canonical request below. It binds the signature to the card (SEID: a SIM's ICCID or an eSE's id), the handset
 * (IMEI), the caller's OMAPI session, the call (method, path, SHA-256 of the JSON body) and a fresh timestamp + nonce,
 * so a captured request cannot be replayed, sent to another card or turned into another call.
 *
 * The device's private key stays in the (simulated) phone: `Handset` in `@jpki/jpki-client` signs the same canonical
 * form; the specs check the two against each other.
 */
export const HANDSET_SIGNATURE_HEADER = 'x-handset-signature';
const VERSION = 'v1';
const CANONICAL_PREFIX = 'JPKI-HANDSET-REQUEST-V1';

export interface HandsetAuthorization {
  readonly imei: string;
  /** The OMAPI session on the handset: channels belong to the session that opened them. */
  readonly session: string;
  /** Milliseconds since the epoch, by the phone's clock. */
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: Buffer;
}

export interface HandsetRequest {
  readonly seid: string;
  readonly method: string;
  /** The request path without the query string, as the phone sent it. */
  readonly path: string;
  /** The JSON body as a string (`''` when the request has none). */
  readonly body: string;
}

const unauthorized = (reason: string, message: string): Refusal => ({ status: HttpStatus.UNAUTHORIZED, reason, message });

const FIELD_RULES: Readonly<Record<keyof Omit<HandsetAuthorization, 'signature' | 'timestamp'> | 'ts' | 'sig', RegExp>> = {
  imei: /^\d{15}$/,
  session: /^[A-Za-z0-9_-]{8,64}$/,
  ts: /^\d{1,15}$/,
  nonce: /^[A-Za-z0-9_-]{16,64}$/,
  sig: /^[A-Za-z0-9_-]{86}$/,
};

export function canonicalHandsetRequest(request: HandsetRequest, auth: Omit<HandsetAuthorization, 'signature'>): Buffer {
  const bodyDigest = createHash('sha256').update(request.body, 'utf8').digest('hex');
  return Buffer.from(
    [CANONICAL_PREFIX, request.seid, auth.imei, auth.session, request.method.toUpperCase(), request.path, bodyDigest, String(auth.timestamp), auth.nonce].join('\n'),
    'utf8',
  );
}

/** The header's fields, or 401 with the precise reason: missing, or not `v1 imei=…;session=…;ts=…;nonce=…;sig=…`. */
export function parseHandsetAuthorization(header: string | undefined): HandsetAuthorization | Refusal {
  if (!header) {
    return unauthorized('HANDSET_AUTH_REQUIRED', `the handset channel needs the ${HANDSET_SIGNATURE_HEADER} header signed with the device key of the handset holding the card`);
  }
  const malformed = (why: string) => unauthorized('HANDSET_AUTH_MALFORMED', `${HANDSET_SIGNATURE_HEADER}: ${why}`);
  const [version, params, ...rest] = header.trim().split(' ');
  if (version !== VERSION || !params || rest.length > 0) return malformed(`expected "${VERSION} imei=…;session=…;ts=…;nonce=…;sig=…"`);
  const fields = new Map<string, string>();
  for (const pair of params.split(';')) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    if (at <= 0 || !(name in FIELD_RULES) || fields.has(name)) return malformed(`unexpected or repeated field "${pair.slice(0, 20)}"`);
    fields.set(name, pair.slice(at + 1));
  }
  for (const [name, rule] of Object.entries(FIELD_RULES)) {
    const value = fields.get(name);
    if (value === undefined || !rule.test(value)) return malformed(`field "${name}" is missing or invalid`);
  }
  const field = (name: string) => fields.get(name) ?? '';
  return {
    imei: field('imei'),
    session: field('session'),
    timestamp: Number(field('ts')),
    nonce: field('nonce'),
    signature: Buffer.from(field('sig'), 'base64url'),
  };
}

/**
 * Freshness by the machine's clock, not the simulation clock: moving the environment's clock years ahead must not
 * lock every phone out, and the phone cannot know the simulation offset.
 */
export function checkFreshness(auth: HandsetAuthorization, nowMs: number, maxAgeMs: number): Refusal | undefined {
  if (Math.abs(nowMs - auth.timestamp) > maxAgeMs) {
    return unauthorized('HANDSET_REQUEST_STALE', `the request was signed ${Math.round((nowMs - auth.timestamp) / 1000)} s from now; at most ${maxAgeMs / 1000} s either way`);
  }
  return undefined;
}

export function checkHandsetSignature(request: HandsetRequest, auth: HandsetAuthorization, devicePublicKey: KeyObject): Refusal | undefined {
  const valid = verify(null, canonicalHandsetRequest(request, auth), devicePublicKey, auth.signature);
  return valid ? undefined : unauthorized('HANDSET_SIGNATURE_INVALID', 'the signature does not verify with the device key of the handset holding this card for this call');
}

/** A device public key as the binding call carries it: base64 DER SubjectPublicKeyInfo of an Ed25519 key. */
export function parseDevicePublicKey(spkiBase64: string): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** 15 digits whose last one is the Luhn check digit over the first 14 (3GPP TS 23.003). */
export function imeiIsValid(imei: string): boolean {
  if (!/^\d{15}$/.test(imei)) return false;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const digit = Number(imei[i]) * (i % 2 === 1 ? 2 : 1);
    sum += digit > 9 ? digit - 9 : digit;
  }
  return (10 - (sum % 10)) % 10 === Number(imei[14]);
}
