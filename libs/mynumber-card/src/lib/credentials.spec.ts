import { credentialFormatProblem, isValidSigningPassword, isValidUserAuthenticationPin } from './credentials';

describe('JPKI credential formats (docs/DESIGN.md §3.4)', () => {
  it.each(['ABC123', 'A1B2C3D4E5F6G7H8', '1A2B3C', 'Z00000'])('accepts signing password %s', (value) => {
    expect(isValidSigningPassword(value)).toBe(true);
  });

  it.each([
    ['too short', 'AB12C'],
    ['too long', 'A1B2C3D4E5F6G7H8I'],
    ['letters only', 'ABCDEF'],
    ['digits only', '123456'],
    ['lower case', 'abc123'],
    ['symbols', 'ABC12!'],
    ['full-width', 'ＡＢＣ１２３'],
  ])('refuses a signing password that is %s', (_why, value) => {
    expect(isValidSigningPassword(value)).toBe(false);
    expect(credentialFormatProblem('signing', value)).toContain('6–16');
  });

  it('accepts exactly four digits as the user-authentication PIN', () => {
    expect(isValidUserAuthenticationPin('0000')).toBe(true);
    for (const bad of ['123', '12345', '12a4', '', '１２３４']) expect(isValidUserAuthenticationPin(bad)).toBe(false);
    expect(isValidUserAuthenticationPin(1234)).toBe(false);
  });
});
