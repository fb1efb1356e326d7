/**
 * ICCIDs (ITU-T E.118): `89` (telecom) ‖ `81` (Japan) ‖ issuer digits (the carrier prefix) ‖
 * serial ‖ Luhn check digit. This service issues 19-digit ICCIDs.
 */
export const ICCID_LENGTH = 19;

/** Luhn (mod 10) check digit over the digits given (the check digit itself excluded). */
export function luhnCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new Error('Luhn input must be decimal digits');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Double every second digit counting from the right of the payload (the check digit goes after it).
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function hasValidLuhn(number: string): boolean {
  return /^\d{2,}$/.test(number) && luhnCheckDigit(number.slice(0, -1)) === Number(number.slice(-1));
}

/** The ICCID for a serial number under a carrier prefix, with its check digit. */
export function iccidFor(prefix: string, serial: number | bigint): string {
  const serialDigits = ICCID_LENGTH - 1 - prefix.length;
  const body = `${prefix}${String(serial).padStart(serialDigits, '0')}`;
  if (body.length !== ICCID_LENGTH - 1) throw new Error(`serial ${serial} does not fit ${serialDigits} digits after prefix ${prefix}`);
  return `${body}${luhnCheckDigit(body)}`;
}
