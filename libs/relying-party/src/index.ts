/**
 * @jpki/relying-party — what a relying party of the SIMULATED JPKI platform does with a holder's
 * answer to its challenge: signature (RSA PKCS#1 v1.5 or ECDSA P-256, SHA-256), path to the JPKI
 * user-authentication CA, status by OCSP or by a cached CRL with a freshness limit, and typed refusals.
 * No I/O of its own: the CA is reached through the `CaDirectory` / `OcspTransport` ports, the challenge table through
 * the SQL connection the service hands to `ChallengeStore`.
 */
export * from './lib/challenge';
export * from './lib/challenge-store';
export * from './lib/crl-snapshot';
export * from './lib/online-verifier';
export * from './lib/refusals';
export * from './lib/status-sources';
export * from './lib/verifier';
export * from './lib/relying-party-env';
export * from './lib/signed-document';
