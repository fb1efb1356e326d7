/**
 * The attacks tried against the running platform (apps/e2e/src/attacks). Each has an id that its test names in its
 * title (`ATK-07: ...`); the security report fails when an attack has no passing test there.
 */
export interface Attack {
  id: string;
  /** The trust boundary it tries. */
  boundary: string;
  /** What the attacker does, and what the platform must answer. */
  title: string;
}

export const ATTACKS: Attack[] = [
  // handset channel (ATK-01..09)
  // clock, topics and producers (ATK-10..29)
  // CA issuance and the enrollment API (ATK-30..39)
  // operator tokens (ATK-40..49)
  { id: 'ATK-40', boundary: 'operator token carrier scope (MNO-TSM)', title: 'a docomo operator creates, suspends and resumes subscribers on KDDI’s MNO-TSM → 403 CARRIER_SCOPE, KDDI’s fleet unchanged, refusal audited' },
  { id: 'ATK-41', boundary: 'operator token carrier scope (lifecycle)', title: 'a docomo operator revokes or reports lost a KDDI phone through lifecycle → 403 CARRIER_SCOPE, no case, certificate still good, audited' },
  { id: 'ATK-42', boundary: 'operator token audience', title: 'a token minted for jpki-ca is used on lifecycle → 401 TOKEN_AUDIENCE, nothing opened, audited' },
  { id: 'ATK-43', boundary: 'operator token issuer and signature', title: 'a token from another issuer, signed by an untrusted key, or with alg none → 401 TOKEN_ISSUER / AUTH_INVALID, nothing opened' },
  { id: 'ATK-44', boundary: 'operator token lifetime', title: 'a token living longer than the maximum, or with nbf in the future → 401 TOKEN_LIFETIME / TOKEN_NOT_YET_VALID, nothing opened' },
  // cheap abuse and bad input (ATK-50..69)
];
