/**
 * The attacks tried against the running platform (apps/e2e/src/attacks). Each has an id that its test names in its
 * title (`ATK-07: ...`); the security report fails when an attack has no passing test there.
 */
export interface Attack {
  id: string;
  /**
   * Where its test lives when not in the e2e attack suite: an attack on one library's own mechanism, staged beside it
   * (the real broker refusing a record for its size; a hostile HTTP server at the relying party's CA URL).
   */
  suite?: string;
  /** The trust boundary it tries. */
  boundary: string;
  /** What the attacker does, and what the platform must answer. */
  title: string;
}

export const ATTACKS: Attack[] = [
  // handset channel (ATK-01..09)
  { id: 'ATK-01', boundary: 'vsim handset channel ← handset identity', title: 'a second client (no credential, another phone, a phone claiming the victim’s IMEI) sets the initial phone PIN of a freshly enrolled victim → 401 HANDSET_AUTH_REQUIRED / 403 HANDSET_NOT_BOUND / 401 HANDSET_SIGNATURE_INVALID before the card; the owner’s app then sets it' },
  { id: 'ATK-02', boundary: 'vsim handset channel ← channel ownership', title: 'a second client (or another session of the same phone) signs a challenge on the owner’s PIN-verified channel → refused before the card (… / 403 CHANNEL_NOT_OWNED); no signature, rp-bank login impossible; the owner’s session still signs' },
  { id: 'ATK-03', boundary: 'vsim handset channel ← handset identity', title: 'a stranger opens channels on the victim’s SIM to exhaust them → every open refused (401/403), no channel opened; the owner still opens one and logs in' },
  { id: 'ATK-04', boundary: 'vsim handset channel ← handset identity', title: 'a stranger guesses the phone PIN three times to block it → every VERIFY refused before the card; the owner’s try counter stays at 3 (card image unchanged)' },
  { id: 'ATK-05', boundary: 'vsim handset request signature', title: 'a captured signed request replayed, sent to the other SIM of the same dual-SIM phone or to another SIM, reused with another body/call, or signed long ago → 401 HANDSET_REQUEST_REPLAYED / HANDSET_SIGNATURE_INVALID / 403 HANDSET_NOT_BOUND / 401 HANDSET_REQUEST_STALE' },
  { id: 'ATK-06', boundary: 'vsim handset binding', title: 'a stranger binds the victim’s SIM to their own phone → 401 AUTH_REQUIRED / 403 ROLE_REQUIRED; the SIM stays in the victim’s phone, the stranger’s phone gets 403 HANDSET_NOT_BOUND' },
  { id: 'ATK-07', boundary: 'JPKI applet ← the signing instance’s password', title: 'someone who knows the phone PIN but not the signing password signs with the phone signing key: VERIFY with the PIN’s reference at the signing instance → 6A88, a 4-digit PIN at the password’s reference → 6A80, a PIN verified at the user-authentication instance, then COMPUTE DIGITAL SIGNATURE at the signing instance → 6982; the signing instance’s tries stay at 5, no signature' },
  { id: 'ATK-08', boundary: 'handset keystore ← biometric unlock', title: 'biometric unlock asked for the phone signing key → BIOMETRICS_NOT_FOR_SIGNING, nothing sealed; the PIN the biometrics release, taken to the signing instance → 6A88, its tries unchanged; a failed match releases nothing (BIOMETRY_NO_MATCH); the user-authentication key logs into the bank after a match' },
  // clock, topics and producers (ATK-10..29)
  { id: 'ATK-10', boundary: 'simulation clock ← platform.clock', title: 'an unsigned clock message (claiming lifecycle) produced with kcat → every service ignores it, also when a restart replays the topic; OCSP still verifies now' },
  { id: 'ATK-11', boundary: 'simulation clock ← platform.clock', title: 'clock messages signed with sp-tsm’s key (as sp-tsm, or claiming lifecycle) → ignored by every service' },
  { id: 'ATK-12', boundary: 'simulation clock bound', title: 'a jump beyond SIMULATION_CLOCK_MAX_JUMP_DAYS → POST /clock 422 CLOCK_JUMP_TOO_LARGE; signed by lifecycle’s key on the topic, ignored by every feed' },
  { id: 'ATK-13', boundary: 'lifecycle POST /clock', title: 'moving the clock without the integrator role → 403 ROLE_REQUIRED (401 without a token), refusal audited, nothing moves' },
  { id: 'ATK-14', boundary: 'sp-tsm inbox ← mno.<carrier>.events', title: 'a proofing reply forged with an MNO-TSM key on its events topic → dead letter TOPIC_NOT_ALLOWED; the enrollment waits for the CA’s genuine answer' },
  { id: 'ATK-15', boundary: 'lifecycle ← carrier notifications', title: 'a contract end on docomo’s topic, signed by docomo’s MNO-TSM, naming a KDDI subscriber → dead letter CARRIER_MISMATCH; no case, the KDDI phone stays good' },
  { id: 'ATK-16', boundary: 'inbox topic routing', title: 'genuine messages replayed onto another topic (a suspend command on ca.events, a contract end on sptsm.events) → dead letter TOPIC_NOT_ALLOWED; nothing happens' },
  { id: 'ATK-17', boundary: 'CA commands ← card certificates', title: 'a card-certificate revocation over ca.commands from sp-tsm or lifecycle → ca.revocation.refused CARD_CERTIFICATE_OPERATOR_ONLY; OCSP for the card still good' },
  { id: 'ATK-18', boundary: 'CA commands ← producer purpose', title: 'a phone-certificate hold from sp-tsm → PURPOSE_NOT_ALLOWED; a hold release from sp-tsm → dead letter PRODUCER_NOT_AUTHORIZED; OCSP still good' },
  { id: 'ATK-19', boundary: 'CA commands ← producer purpose', title: 'identity proofing or phone issuance asked by lifecycle → dead letter PRODUCER_NOT_AUTHORIZED; the CA answers nothing' },
  // CA issuance and the enrollment API (ATK-30..39)
  { id: 'ATK-30', boundary: 'CA issuance ← proofing record', title: 'sp-tsm’s key sends a phone issuance (CSR or CA-generated) naming no proofing, or one the CA never made → ca.certificate-issuance.failed PROOFING_REQUIRED / PROOFING_NOT_FOUND, no certificate' },
  { id: 'ATK-31', boundary: 'CA issuance ← proofing record', title: 'one proofing record used for a second issuance (another CSR and request id) → PROOFING_ALREADY_USED; the first request redelivered still gets its one certificate' },
  { id: 'ATK-32', boundary: 'CA issuance ← proofing record', title: 'an issuance naming another person than its proofing record → PROOFING_PERSON_MISMATCH, the named person gets no certificate' },
  { id: 'ATK-33', boundary: 'sp-tsm enrollment API', title: 'ICCID and serial looked up by MSISDN or iPhone device id without a token → 401 AUTH_REQUIRED (an auditor token works, audited)' },
  { id: 'ATK-34', boundary: 'sp-tsm enrollment API', title: 'anonymous junk POST /enrollments for a victim’s MSISDN → 400 APPLICATION_MALFORMED / APPLICATION_SIGNATURE_INVALID, 422 APPLICATION_MISMATCH; the owner’s enrollment completes' },
  { id: 'ATK-35', boundary: 'CA issuance ← proofing record', title: 'a proofing record older than PROOFING_RECORD_MAX_AGE_SECONDS at the CA’s clock → PROOFING_EXPIRED, no certificate' },
  // operator tokens (ATK-40..49)
  { id: 'ATK-40', boundary: 'operator token carrier scope (MNO-TSM)', title: 'a docomo operator creates, suspends and resumes subscribers on KDDI’s MNO-TSM → 403 CARRIER_SCOPE, KDDI’s fleet unchanged, refusal audited' },
  { id: 'ATK-41', boundary: 'operator token carrier scope (lifecycle)', title: 'a docomo operator revokes or reports lost a KDDI phone through lifecycle → 403 CARRIER_SCOPE, no case, certificate still good, audited' },
  { id: 'ATK-42', boundary: 'operator token audience', title: 'a token minted for jpki-ca is used on lifecycle → 401 TOKEN_AUDIENCE, nothing opened, audited' },
  { id: 'ATK-43', boundary: 'operator token issuer and signature', title: 'a token from another issuer, signed by an untrusted key, or with alg none → 401 TOKEN_ISSUER / AUTH_INVALID, nothing opened' },
  { id: 'ATK-44', boundary: 'operator token lifetime', title: 'a token living longer than the maximum, or with nbf in the future → 401 TOKEN_LIFETIME / TOKEN_NOT_YET_VALID, nothing opened' },
  { id: 'ATK-45', boundary: 'operator token carrier scope (vSIM)', title: 'a docomo operator switches a KDDI SIM’s handset or inspects the SIM at the vSIM → 403 CARRIER_SCOPE, power unchanged' },
  { id: 'ATK-46', boundary: 'operator token carrier scope (platform-wide actions)', title: 'a docomo-scoped integrator moves the simulation clock or runs every carrier’s renewal sweep → 403 CARRIER_SCOPE, clock unchanged, audited' },
  { id: 'ATK-47', boundary: 'operator token carrier scope (jpki-ca)', title: 'a docomo operator reads a KDDI subscriber’s person or certificate at the CA, holds or releases it, revokes, renews or issues a card, or reads the CA audit log → 403 CARRIER_SCOPE, certificate still good' },
  // cheap abuse and bad input (ATK-50..69)
  { id: 'ATK-50', boundary: 'jpki-ca OCSP responder', title: 'an OCSP request naming 900 certificates → malformedRequest (openssl reads it) with no status lookup; 20 unknown serials cost one query; a normal request is answered as before' },
  { id: 'ATK-51', boundary: 'HTTP body limit (every service)', title: 'a 5 MB JSON body to every service → 413 PAYLOAD_TOO_LARGE before it is read; nothing changed; lifecycle audits the refusal' },
  { id: 'ATK-52', boundary: 'HTTP input (every service)', title: 'NUL bytes in path, query and body (/enrollments/%00, /cases?enrollmentId=%00, /audit?actor=%00, /audit-log?actor=%00, …) → 400 INPUT_CONTAINS_NUL, never 500; lifecycle audits the refusal with the value escaped' },
  { id: 'ATK-53', boundary: 'relying parties’ unauthenticated challenge endpoints', title: 'a flood of challenge requests at rp-bank and rp-ticketing → 503 CHALLENGE_CAPACITY_REACHED with Retry-After once the cap is reached; the table stays bounded; honest login works after the TTL' },
  { id: 'ATK-54', boundary: 'every HTTP API (OpenAPI)', title: 'schema-driven fuzzing of every operation of every service from its /docs-json, with and without an operator token → no 5xx, no hang; lifecycle audits its refusals' },
  { id: 'ATK-55', suite: 'libs/service-kit/src/test/', boundary: 'Kafka dead-letter path', title: 'a message too large for its dead-letter copy → a summary with the cause is dead-lettered and the next message on the partition is handled (no poison pill)' },
  { id: 'ATK-56', suite: 'libs/jpki-client/src/', boundary: 'relying party ← answers at the CA URL (CRL, OCSP, trust anchors)', title: 'what answers at the CA URL declares a 100 MiB CRL, streams one without end, or sends a 1 MiB OCSP answer or certificate → the relying party stops reading at the cap and closes the connection: CA_ANSWER_TOO_LARGE (the status counts as unavailable); an answer within the cap is read as before' },
];
