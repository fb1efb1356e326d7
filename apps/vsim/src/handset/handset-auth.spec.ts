import { generateKeyPairSync } from 'node:crypto';
import { Handset, newImei } from '@jpki/jpki-client';
import {
  checkFreshness,
  checkHandsetSignature,
  imeiIsValid,
  parseDevicePublicKey,
  parseHandsetAuthorization,
  type HandsetAuthorization,
  type HandsetRequest,
} from './handset-auth';

const ICCID = '8981100000000000017';
const OTHER_ICCID = '8981100000000000025';
const NOW = 1_800_000_000_000;
const SESSION = 'session-0001';

function signed(handset: Handset, request: HandsetRequest, timestamp = NOW, nonce = 'nonce-nonce-nonce-0001'): HandsetAuthorization {
  const parsed = parseHandsetAuthorization(handset.signRequest(SESSION, request.method, request.path, request.body, timestamp, nonce));
  if ('reason' in parsed) throw new Error(parsed.message);
  return parsed;
}

describe('handset request authentication', () => {
  const phone = Handset.create(ICCID);
  const key = parseDevicePublicKey(phone.devicePublicKey)!;
  const transmit: HandsetRequest = { seid: ICCID, method: 'POST', path: `/sims/${ICCID}/channels/1/transmit`, body: JSON.stringify({ apdu: '002000810431323334' }) };

  it('accepts what the phone signs (the client and the vSIM agree on the canonical request)', () => {
    const auth = signed(phone, transmit);
    expect(auth).toMatchObject({ imei: phone.imei, session: SESSION, timestamp: NOW, nonce: 'nonce-nonce-nonce-0001' });
    expect(checkHandsetSignature(transmit, auth, key)).toBeUndefined();
    const close: HandsetRequest = { seid: ICCID, method: 'DELETE', path: `/sims/${ICCID}/channels/1`, body: '' };
    expect(checkHandsetSignature(close, signed(phone, close), key)).toBeUndefined();
  });

  it('refuses the same signature for another SIM, call, body, method, time, nonce or session', () => {
    const auth = signed(phone, transmit);
    const variants: HandsetRequest[] = [
      { ...transmit, seid: OTHER_ICCID, path: transmit.path.replace(ICCID, OTHER_ICCID) },
      { ...transmit, seid: OTHER_ICCID },
      { ...transmit, path: `/sims/${ICCID}/channels/2/transmit` },
      { ...transmit, body: JSON.stringify({ apdu: '0020008104393939393' }) },
      { ...transmit, method: 'DELETE' },
    ];
    for (const request of variants) expect(checkHandsetSignature(request, auth, key)).toMatchObject({ status: 401, reason: 'HANDSET_SIGNATURE_INVALID' });
    for (const changed of [{ timestamp: NOW + 1 }, { nonce: 'nonce-nonce-nonce-0002' }, { session: 'session-0002' }, { imei: newImei() }]) {
      expect(checkHandsetSignature(transmit, { ...auth, ...changed }, key)).toMatchObject({ reason: 'HANDSET_SIGNATURE_INVALID' });
    }
  });

  it("refuses another phone's key, even one claiming the owner's IMEI", () => {
    const impostor = Handset.restore({ ...Handset.create(ICCID).toFile(), imei: phone.imei });
    expect(checkHandsetSignature(transmit, signed(impostor, transmit), key)).toMatchObject({ status: 401, reason: 'HANDSET_SIGNATURE_INVALID' });
  });

  it('answers a missing or malformed header with 401 and a precise reason', () => {
    expect(parseHandsetAuthorization(undefined)).toMatchObject({ status: 401, reason: 'HANDSET_AUTH_REQUIRED' });
    const good = phone.signRequest(SESSION, 'POST', transmit.path, transmit.body, NOW, 'nonce-nonce-nonce-0001');
    const malformed = [
      'Bearer abc',
      good.replace('v1 ', 'v2 '),
      good.replace('imei=', 'imei=1'),
      good.replace(';session=session-0001', ''),
      good.replace('session=session-0001', 'session=short'),
      `${good};imei=${phone.imei}`,
      good.replace('ts=', 'ts=x'),
      good.replace(/sig=[^;]+/, 'sig=AAAA'),
      `${good} extra`,
    ];
    for (const header of malformed) expect(parseHandsetAuthorization(header)).toMatchObject({ status: 401, reason: 'HANDSET_AUTH_MALFORMED' });
  });

  it('accepts timestamps within the window either way and refuses older or newer ones', () => {
    const auth = signed(phone, transmit);
    expect(checkFreshness(auth, NOW + 60_000, 60_000)).toBeUndefined();
    expect(checkFreshness(auth, NOW - 60_000, 60_000)).toBeUndefined();
    expect(checkFreshness(auth, NOW + 60_001, 60_000)).toMatchObject({ status: 401, reason: 'HANDSET_REQUEST_STALE' });
    expect(checkFreshness(auth, NOW - 60_001, 60_000)).toMatchObject({ status: 401, reason: 'HANDSET_REQUEST_STALE' });
  });

  it('takes Ed25519 device keys only, and Luhn-valid IMEIs', () => {
    expect(parseDevicePublicKey(phone.devicePublicKey)?.asymmetricKeyType).toBe('ed25519');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(parseDevicePublicKey(p256)).toBeUndefined();
    expect(parseDevicePublicKey('not a key')).toBeUndefined();
    expect(imeiIsValid('490154203237518')).toBe(true);
    expect(imeiIsValid('490154203237517')).toBe(false);
    expect(imeiIsValid('49015420323751')).toBe(false);
    for (let i = 0; i < 50; i++) expect(imeiIsValid(newImei())).toBe(true);
  });

  it('never puts the private key in the file the vSIM sees: the binding carries the public key only', () => {
    const file = phone.toFile();
    expect(Buffer.from(phone.devicePublicKey, 'base64').length).toBe(44);
    expect(file.deviceKey).not.toBe(phone.devicePublicKey);
    expect(Handset.restore(file).devicePublicKey).toBe(phone.devicePublicKey);
  });
});
