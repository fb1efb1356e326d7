/** EXTERNAL AUTHENTICATE P1 (Amd D Table 7-3), also the session's Current Security Level bits (GPC Table 10-1). */
export const SecurityLevel = {
  NO_SECURITY_LEVEL: 0x00,
  C_MAC: 0x01,
  C_DECRYPTION_C_MAC: 0x03,
  C_MAC_R_MAC: 0x11,
  C_DECRYPTION_C_MAC_R_MAC: 0x13,
  C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC: 0x33,
} as const;

export const SecurityLevelBit = {
  C_MAC: 0x01,
  C_DECRYPTION: 0x02,
  R_MAC: 0x10,
  R_ENCRYPTION: 0x20,
} as const;

const VALID_LEVELS: ReadonlySet<number> = new Set(Object.values(SecurityLevel));

export function isValidSecurityLevel(level: number): boolean {
  return VALID_LEVELS.has(level);
}

export function hasSecurity(level: number, required: number): boolean {
  return (level & required) === required;
}

/** SCP03 "i" parameter bits (Amd D Table 5-1). */
export const Scp03Option = {
  /** Amd D v1.2: 16-byte challenges, cryptograms and MACs instead of 8. */
  S16: 0x01,
  PSEUDO_RANDOM_CHALLENGE: 0x10,
  R_MAC_SUPPORT: 0x20,
  R_ENCRYPTION_SUPPORT: 0x40,
} as const;

/** S8 or S16 mode (Amd D v1.2): the length in bytes of challenges, cryptograms, C-MAC and R-MAC. */
export type Scp03SMode = 8 | 16;

export function sModeOf(i: number): Scp03SMode {
  return hasSecurity(i, Scp03Option.S16) ? 16 : 8;
}

/** i = 70: pseudo-random challenge, R-MAC and R-ENC supported (the pySim/GPPro common value). */
export const DEFAULT_SCP03_I = 0x70;

/** The response protection a level needs must be announced in i. */
export function isLevelSupportedByI(level: number, i: number): boolean {
  if (hasSecurity(level, SecurityLevelBit.R_ENCRYPTION) && !hasSecurity(i, Scp03Option.R_ENCRYPTION_SUPPORT)) {
    return false;
  }
  return !hasSecurity(level, SecurityLevelBit.R_MAC) || hasSecurity(i, Scp03Option.R_MAC_SUPPORT);
}
