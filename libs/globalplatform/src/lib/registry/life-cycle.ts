/** Card (ISD) Life Cycle States, GPC Table 11-6. */
export const CardLifeCycle = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;

/** Application Life Cycle States, GPC Table 11-4 (07-7F with b3b2b1 set are application specific). */
export const ApplicationLifeCycle = {
  INSTALLED: 0x03,
  SELECTABLE: 0x07,
} as const;

/** Security Domain Life Cycle States, GPC Table 11-5. */
export const SecurityDomainLifeCycle = {
  INSTALLED: 0x03,
  SELECTABLE: 0x07,
  PERSONALIZED: 0x0f,
} as const;

/** Executable Load File Life Cycle State, GPC Table 11-3. */
export const LoadFileLifeCycle = {
  LOADED: 0x01,
} as const;

const LOCKED_BIT = 0x80;

/** LOCKED keeps the previous state in the low bits so that unlocking restores it. */
export function isLocked(lifeCycle: number): boolean {
  return (lifeCycle & 0x83) === 0x83;
}

export function locked(lifeCycle: number): number {
  return lifeCycle | LOCKED_BIT;
}

export function unlocked(lifeCycle: number): number {
  return lifeCycle & ~LOCKED_BIT;
}

/** Selectable: past INSTALLED (b3 set) and not LOCKED. */
export function isSelectableState(lifeCycle: number): boolean {
  return (lifeCycle & 0x07) === 0x07 && !isLocked(lifeCycle);
}
