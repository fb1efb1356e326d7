/**
 * Class byte helpers (ISO 7816-4 §5.4.1, GPC 2.3.1 §11.1.4).
 * First interindustry coding (00-1F, 80-9F): b5 chaining, b4b3 secure messaging, b2b1 channel 0-3.
 * Further interindustry coding (40-7F, C0-FF): b6 secure messaging, b5 chaining, b4-b1 channel 4-19.
 */
const PROPRIETARY = 0x80;
const FURTHER = 0x40;
const CHAINING = 0x10;

export const MAX_LOGICAL_CHANNEL = 19;

export function claIsValid(cla: number): boolean {
  const b8b7b6 = cla & 0xe0;
  return cla !== 0xff && b8b7b6 !== 0x20 && b8b7b6 !== 0xa0;
}

export function claIsProprietary(cla: number): boolean {
  return (cla & PROPRIETARY) !== 0;
}

export function claIsChained(cla: number): boolean {
  return (cla & CHAINING) !== 0;
}

function isFurther(cla: number): boolean {
  return (cla & FURTHER) !== 0;
}

export function claLogicalChannel(cla: number): number {
  return isFurther(cla) ? 4 + (cla & 0x0f) : cla & 0x03;
}

export function claHasSecureMessaging(cla: number): boolean {
  return isFurther(cla) ? (cla & 0x20) !== 0 : (cla & 0x0c) !== 0;
}

/** Sets or clears GP proprietary secure messaging (b3 in the first coding, b6 in the further one). */
export function claWithSecureMessaging(cla: number, enabled = true): number {
  if (isFurther(cla)) {
    return enabled ? cla | 0x20 : cla & ~0x20 & 0xff;
  }
  return ((cla & ~0x0c) | (enabled ? 0x04 : 0)) & 0xff;
}

export function claWithLogicalChannel(cla: number, channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > MAX_LOGICAL_CHANNEL) {
    throw new RangeError(`logical channel out of range: ${channel}`);
  }
  const common = cla & (PROPRIETARY | CHAINING);
  const secure = claHasSecureMessaging(cla);
  if (channel <= 3) {
    const sm = isFurther(cla) ? (secure ? 0x04 : 0) : cla & 0x0c;
    return common | sm | channel;
  }
  return common | FURTHER | (secure ? 0x20 : 0) | (channel - 4);
}

/** The CLA' used in the C-MAC input: channel zeroed, GP secure messaging indicated (Amd D §6.2.4). */
export function claForMac(cla: number): number {
  return (cla & PROPRIETARY) | 0x04;
}
