import { HandsetKeystore } from './handset-keystore';

describe('handset keystore (biometric unlock of the user-authentication PIN)', () => {
  const keystoreWithPin = () => {
    const keystore = new HandsetKeystore(HandsetKeystore.initialState('246810'));
    keystore.sealPin('2580');
    return keystore;
  };

  it('gives the sealed PIN after a match, once per match', () => {
    const keystore = keystoreWithPin();
    expect(keystore.hasPin).toBe(true);
    expect(keystore.openPin('match')).toBe('2580');
    expect(keystore.openPin('match')).toBe('2580');
  });

  it('gives nothing without a match, locks after 5 failures, and the passcode only re-enables biometry', () => {
    const keystore = keystoreWithPin();
    for (let i = 0; i < 4; i++) expect(() => keystore.openPin('no-match')).toThrow(expect.objectContaining({ reason: 'BIOMETRY_NO_MATCH' }));
    expect(() => keystore.openPin('no-match')).toThrow(expect.objectContaining({ reason: 'BIOMETRY_LOCKOUT' }));
    expect(() => keystore.openPin('match')).toThrow(expect.objectContaining({ reason: 'BIOMETRY_LOCKOUT' }));
    keystore.biometrics.unlockWithPasscode('246810');
    expect(keystore.openPin('match')).toBe('2580');
  });

  it('a newly enrolled biometric set cannot release a PIN sealed under the previous one', () => {
    const keystore = keystoreWithPin();
    keystore.biometrics.enroll();
    expect(keystore.hasPin).toBe(false);
    expect(() => keystore.openPin('match')).toThrow(expect.objectContaining({ reason: 'BIOMETRY_SET_CHANGED' }));
  });

  it('is off until a PIN is sealed', () => {
    const keystore = new HandsetKeystore(HandsetKeystore.initialState('246810'));
    expect(() => keystore.openPin('match')).toThrow(expect.objectContaining({ reason: 'BIOMETRIC_UNLOCK_OFF' }));
  });
});
