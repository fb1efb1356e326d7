/**
 * JPKI object identifiers. The 1.2.392.200149 values are J-LIS's published ones (card certificate policies and the
 * personal-data SAN otherNames), kept so that relying-party code written for real JPKI certificates reads the simulated
 * ones unchanged; the simulated hierarchy's names say SIMULATED and no real verifier chains to its root. What J-LIS has
 * not published (the phone certificates' policies) is invented under RFC 5612's documentation enterprise number 32473, so
 * it can never collide with a real assignment.
 */
export const JPKI_SIMULATION_ARC = '1.3.6.1.4.1.32473.392';

export const JpkiOid = {
  personalDataName: '1.2.392.200149.8.5.5.1',
  personalDataNameSubstitute: '1.2.392.200149.8.5.5.2',
  personalDataGender: '1.2.392.200149.8.5.5.3',
  personalDataDateOfBirth: '1.2.392.200149.8.5.5.4',
  personalDataAddress: '1.2.392.200149.8.5.5.5',
  personalDataAddressSubstitute: '1.2.392.200149.8.5.5.6',

  /** Card 署名用 certificate, class 20. */
  policyDigitalSignature: '1.2.392.200149.8.5.1.1.20',
  /** Card 署名用 certificate in J-LIS's test environment. */
  policyDigitalSignatureTest: '1.2.392.200149.8.5.1.0.20',
  /** Card 利用者証明用 certificate, class 30. */
  policyUserAuthentication: '1.2.392.200149.8.5.1.3.30',
  /** Phone 利用者証明用 certificate: the real OID is not public, this one is simulated. */
  policyPhoneUserAuthentication: `${JPKI_SIMULATION_ARC}.1.3.40`,
  /** Phone 署名用 certificate (スマホ用署名用電子証明書): simulated like the phone user-authentication one. */
  policyPhoneDigitalSignature: `${JPKI_SIMULATION_ARC}.1.1.40`,
} as const;

export const JPKI_PERSONAL_DATA_OIDS: readonly string[] = [
  JpkiOid.personalDataName,
  JpkiOid.personalDataNameSubstitute,
  JpkiOid.personalDataGender,
  JpkiOid.personalDataDateOfBirth,
  JpkiOid.personalDataAddress,
  JpkiOid.personalDataAddressSubstitute,
];
