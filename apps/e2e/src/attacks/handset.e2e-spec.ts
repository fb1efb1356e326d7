import { randomBytes } from 'node:crypto';
import { buildChangeReferenceData, buildSign, buildVerify, CommandApdu, Ins, JPKI_PIN_RULES, JpkiAid } from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import {
  authenticate,
  BankClient,
  createSubscriber,
  createTestCitizen,
  Handset,
  HandsetKeystore,
  HttpJson,
  JpkiAppletClient,
  JpkiUiApp,
  refusalOf,
  type Refusal,
  type Subscriber,
} from '@jpki/jpki-client';
import { startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';

interface SimView {
  revision: number;
  updatedAt: string;
  handset: { imei: string | null };
  card: { registry: { aid: string; jpki?: { role: string; pinSet: boolean; pinTriesRemaining: number; certificate: boolean } }[] };
  openChannels: { channel: number; imei: string }[];
}

const JPKI = JpkiAid.DEFAULT_INSTANCE.toString('hex').toUpperCase();
const PIN = '4711';

/**
 * The handset channel stands in for the phone's own hardware: only the handset the SIM was put in may open channels
 * to it (requests signed with its device key), and a channel, with the PIN state the card keeps on it, belongs to the
 * session that opened it. Every service runs as its own process. The attackers are an anonymous client, a phone the
 * SIM was never put in, a stranger's phone that holds a SIM of its own, and a phone claiming the victim's IMEI with a
 * key of its own. Each refusal happens before the card: its image, revision and last update stay as they were.
 */
describe('attacks: handset channel', () => {
  let platform: PlatformUnderTest;
  let victim: Subscriber;
  let stranger: Subscriber;

  const vsim = () => platform.endpoints.vsim;
  const sim = (iccid: string) => new HttpJson(vsim(), platform.operatorToken).get<SimView>(`/sims/${iccid}`);
  /** What must not change when a request is refused before the card. */
  const cardState = async (iccid: string) => {
    const view = await sim(iccid);
    return {
      revision: view.revision,
      updatedAt: view.updatedAt,
      applet: view.card.registry.find((r) => r.aid === JPKI)?.jpki,
      openChannels: view.openChannels,
      imei: view.handset.imei,
    };
  };

  /** Every attacker against the victim's SIM, with the precise refusal each one gets. */
  const attackers = (): [string, HttpJson, Partial<Refusal>][] => {
    const iccid = victim.iccid;
    const impostor = Handset.restore({ ...Handset.create(iccid).toFile(), imei: victim.handset.imei });
    const strangersPhone = Handset.restore({ ...stranger.handset.toFile(), iccid });
    return [
      ['an anonymous client', new HttpJson(vsim()), { status: 401, reason: 'HANDSET_AUTH_REQUIRED' }],
      ['a phone the SIM was never put in', Handset.create(iccid).session(vsim()), { status: 403, reason: 'HANDSET_NOT_BOUND' }],
      ["a stranger's phone that holds its own SIM", strangersPhone.session(vsim()), { status: 403, reason: 'HANDSET_NOT_BOUND' }],
      ["a phone claiming the victim's IMEI with its own key", impostor.session(vsim()), { status: 401, reason: 'HANDSET_SIGNATURE_INVALID' }],
    ];
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim', 'rp-bank'] });
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    victim = await createSubscriber(e, platform.operatorToken, 'docomo');
    stranger = await createSubscriber(e, platform.operatorToken, 'docomo');
    // Enrolled, but the phone PIN is not chosen yet: the moment an attacker would like to choose it.
    const app = new JpkiUiApp(e);
    const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: victim.msisdn, operator: 'docomo', keyMode: 'on-card' });
    expect(await app.waitForEnrollment(started.enrollmentId, undefined, 180_000)).toMatchObject({ status: 'completed', iccid: victim.iccid });
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('ATK-01: a second client sets the initial phone PIN of a freshly enrolled victim → 401 HANDSET_AUTH_REQUIRED / 403 HANDSET_NOT_BOUND / 401 HANDSET_SIGNATURE_INVALID; the owner’s app sets it', async () => {
    const iccid = victim.iccid;
    const before = await cardState(iccid);
    expect(before.applet).toMatchObject({ pinSet: false, certificate: true });
    for (const [who, http, refusal] of attackers()) {
      expect([who, await refusalOf(http.post(`/sims/${iccid}/channels`, { aid: JPKI }))]).toEqual([who, expect.objectContaining(refusal)]);
      for (const channel of [1, 2, 3]) {
        const setPin = http.post(`/sims/${iccid}/channels/${channel}/transmit`, { apdu: buildChangeReferenceData('0000').toString() });
        expect([who, await refusalOf(setPin)]).toEqual([who, expect.objectContaining(refusal)]);
      }
    }
    expect(await cardState(iccid)).toEqual(before);

    await new JpkiUiApp(platform.endpoints).setPhonePin(victim.handset, PIN);
    expect((await cardState(iccid)).applet).toMatchObject({ pinSet: true, pinTriesRemaining: 3 });
  });

  it('ATK-02: a second client signs a challenge on the owner’s PIN-verified channel → refused before the card (403 CHANNEL_NOT_OWNED for another session of the same phone); no signature, no bank login', async () => {
    const iccid = victim.iccid;
    const bank = new BankClient(platform.endpoints.rpBank);
    const owner = await JpkiAppletClient.open(vsim(), victim.handset);
    try {
      await owner.verifyPin(PIN);
      const certificate = await owner.readCertificate();
      const [{ channel }] = (await sim(iccid)).openChannels;
      const { challengeId, challenge } = await bank.challenge();
      const sign = { apdu: buildSign(sha256DigestInfo(Buffer.from(challenge, 'base64'))).toString() };
      const before = await cardState(iccid);

      const anotherAppOnTheSamePhone = victim.handset.session(vsim());
      const everyone: [string, HttpJson, Partial<Refusal>][] = [
        ...attackers(),
        ['another session of the same phone', anotherAppOnTheSamePhone, { status: 403, reason: 'CHANNEL_NOT_OWNED' }],
      ];
      for (const [who, http, refusal] of everyone) {
        expect([who, await refusalOf(http.post(`/sims/${iccid}/channels/${channel}/transmit`, sign))]).toEqual([who, expect.objectContaining(refusal)]);
        expect([who, await refusalOf(http.delete(`/sims/${iccid}/channels/${channel}`))]).toEqual([who, expect.objectContaining(refusal)]);
      }
      expect(await cardState(iccid)).toEqual(before);

      // Without the card's signature the attacker has nothing the bank accepts.
      expect(await refusalOf(bank.submitLogin(challengeId, { signature: randomBytes(256), certificate }))).toMatchObject({ status: 401, reason: 'SIGNATURE_INVALID' });
      // The owner's session still holds its verified PIN: its signature logs in.
      const next = await bank.challenge();
      const login = await bank.submitLogin(next.challengeId, { signature: await owner.sign(Buffer.from(next.challenge, 'base64')), certificate });
      expect(login.holder.serial).toBeDefined();
    } finally {
      await owner.close();
    }
  });

  it('ATK-03: a stranger opens channels on the victim’s SIM to exhaust them → refused, no channel opened; the owner still opens one and logs in', async () => {
    const iccid = victim.iccid;
    const before = await cardState(iccid);
    for (let round = 0; round < 3; round++) {
      for (const [who, http, refusal] of attackers()) {
        expect([who, await refusalOf(http.post(`/sims/${iccid}/channels`, { aid: JPKI }))]).toEqual([who, expect.objectContaining(refusal)]);
      }
    }
    expect(await cardState(iccid)).toEqual(before);
    expect(before.openChannels).toEqual([]);
    expect(await authenticate(platform.endpoints, victim.handset, PIN)).toMatchObject({ ok: true });
  });

  it('ATK-04: a stranger guesses the PIN three times to block it → every guess refused before the card; the owner’s try counter stays at 3', async () => {
    const iccid = victim.iccid;
    const owner = await JpkiAppletClient.open(vsim(), victim.handset);
    try {
      const [{ channel }] = (await sim(iccid)).openChannels;
      const before = await cardState(iccid);
      for (const guess of ['0000', '1234', '9999']) {
        for (const [who, http, refusal] of attackers()) {
          const verify = http.post(`/sims/${iccid}/channels/${channel}/transmit`, { apdu: buildVerify(guess).toString() });
          expect([who, await refusalOf(verify)]).toEqual([who, expect.objectContaining(refusal)]);
          expect([who, await refusalOf(http.post(`/sims/${iccid}/channels`, { aid: JPKI }))]).toEqual([who, expect.objectContaining(refusal)]);
        }
      }
      expect(await cardState(iccid)).toEqual(before);
      expect(before.applet).toMatchObject({ pinTriesRemaining: 3 });
      expect(await owner.pinStatus()).toBe(3);
    } finally {
      await owner.close();
    }
  });

  it('ATK-05: a captured handset request is replayed, sent to another SIM of the same phone, or reused for another call → 401 HANDSET_REQUEST_REPLAYED / HANDSET_SIGNATURE_INVALID / HANDSET_REQUEST_STALE', async () => {
    const iccid = victim.iccid;
    // A dual-SIM phone: a second SIM in the victim's phone, same IMEI and device key.
    const secondSim = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const secondSlot = Handset.restore({ ...victim.handset.toFile(), iccid: secondSim.iccid });
    await secondSlot.insertSim(vsim(), platform.operatorToken);

    const session = 'captured-session-01';
    const open = (path: string, header: string, body = JSON.stringify({ aid: JPKI })) =>
      fetch(vsim() + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-handset-signature': header }, body });
    const reason = async (res: Response) => [res.status, ((await res.json()) as { reason: string }).reason];
    const path = `/sims/${iccid}/channels`;
    const captured = victim.handset.signRequest(session, 'POST', path, JSON.stringify({ aid: JPKI }));
    const opened = await open(path, captured);
    expect(opened.status).toBe(201);
    const { channel } = (await opened.json()) as { channel: number };
    const before = await cardState(iccid);
    const secondBefore = await cardState(secondSim.iccid);

    expect(await reason(await open(path, captured))).toEqual([401, 'HANDSET_REQUEST_REPLAYED']);
    expect(await reason(await open(`/sims/${secondSim.iccid}/channels`, captured))).toEqual([401, 'HANDSET_SIGNATURE_INVALID']);
    expect(await reason(await open(`/sims/${stranger.iccid}/channels`, captured))).toEqual([403, 'HANDSET_NOT_BOUND']);
    expect(await reason(await open(path, captured, JSON.stringify({ aid: 'D392F000260100000199' })))).toEqual([401, 'HANDSET_SIGNATURE_INVALID']);
    expect(await reason(await open(`${path}/${channel}/transmit`, captured, JSON.stringify({ apdu: buildVerify('0000').toString() })))).toEqual([401, 'HANDSET_SIGNATURE_INVALID']);
    const old = victim.handset.signRequest(session, 'POST', path, JSON.stringify({ aid: JPKI }), Date.now() - 5 * 60_000);
    expect(await reason(await open(path, old))).toEqual([401, 'HANDSET_REQUEST_STALE']);
    expect(await cardState(iccid)).toEqual(before);
    expect(await cardState(secondSim.iccid)).toEqual(secondBefore);

    await victim.handset.session(vsim(), session).delete(`${path}/${channel}`);
    expect((await sim(iccid)).openChannels).toEqual([]);
  });

  /** A phone enrolled with both certificates (PIN, and the signing password), for the attacks on the signing key. */
  const SIGNING_PASSWORD = 'SIGNPASS2026';
  const SIGNING = JpkiAid.SIGNING_INSTANCE.toString('hex').toUpperCase();
  let signerPhone: Promise<Subscriber> | undefined;
  const phoneWithSigningKey = () =>
    (signerPhone ??= (async () => {
      const e = platform.endpoints;
      const [signer, citizen] = await Promise.all([createSubscriber(e, platform.operatorToken, 'docomo'), createTestCitizen(e, platform.operatorToken)]);
      const enrolled = await new JpkiUiApp(e).enroll({
        card: citizen.card,
        signingPassword: citizen.signingPassword,
        msisdn: signer.msisdn,
        operator: 'docomo',
        keyMode: 'on-card',
        handset: signer.handset,
        phonePin: PIN,
        signingCertificate: true,
        phoneSigningPassword: SIGNING_PASSWORD,
      });
      expect(enrolled).toMatchObject({ status: 'completed', signingSerial: expect.any(String) });
      return signer;
    })());
  const signingState = async (iccid: string) => (await sim(iccid)).card.registry.find((r) => r.aid === SIGNING)?.jpki;

  it('ATK-07: someone who knows the phone PIN (not the signing password) signs with the phone signing key → the PIN’s reference is not found there (6A88), a 4-digit PIN is malformed (6A80), a PIN verified at the user-authentication instance unlocks nothing (6982); no try spent, no signature', async () => {
    const signer = await phoneWithSigningKey();
    const app = new JpkiUiApp(platform.endpoints);
    const signingAid = SIGNING;
    const before = await signingState(signer.iccid);
    expect(before).toMatchObject({ role: 'signing', pinSet: true, pinTriesRemaining: 5, certificate: true });
    const http = signer.handset.session(vsim());
    const transmit = async (channel: number, apdu: CommandApdu) =>
      (await http.post<{ sw: string }>(`/sims/${signer.iccid}/channels/${channel}/transmit`, { apdu: apdu.toString() })).sw;
    const { channel: authentication } = await http.post<{ channel: number }>(`/sims/${signer.iccid}/channels`, { aid: JPKI });
    const { channel: signing } = await http.post<{ channel: number }>(`/sims/${signer.iccid}/channels`, { aid: signingAid });
    const digestInfo = sha256DigestInfo(Buffer.from('an e-application the holder never saw'));
    expect(await transmit(signing, buildVerify(PIN))).toBe('6A88');
    expect(await transmit(signing, new CommandApdu(0x00, Ins.VERIFY, 0x00, JPKI_PIN_RULES.signing.reference, Buffer.from(PIN, 'ascii')))).toBe('6A80');
    expect(await transmit(authentication, buildVerify(PIN))).toBe('9000');
    expect(await transmit(signing, buildSign(digestInfo))).toBe('6982');
    expect(await signingState(signer.iccid)).toEqual(before);
    for (const channel of [authentication, signing]) await http.delete(`/sims/${signer.iccid}/channels/${channel}`);
    // The holder, with the password, still signs.
    expect((await app.signDocument(signer.handset, SIGNING_PASSWORD, Buffer.from('the holder’s own application'))).signedData.length).toBeGreaterThan(1000);
  }, 180_000);

  it('ATK-08: biometrics for the phone signing key → BIOMETRICS_NOT_FOR_SIGNING, nothing sealed; the PIN the biometrics release, taken to the signing instance → 6A88; a failed match releases nothing; the user-authentication key logs into the bank after a match', async () => {
    const signer = await phoneWithSigningKey();
    const e = platform.endpoints;
    const app = new JpkiUiApp(e);
    // The same phone (IMEI, device key), as a model with a biometric sensor.
    const phone = Handset.restore({ ...signer.handset.toFile(), keystore: HandsetKeystore.initialState('135790') });
    const before = await signingState(signer.iccid);
    await expect(app.enableBiometricUnlock(phone, SIGNING_PASSWORD, 'signing')).rejects.toMatchObject({ reason: 'BIOMETRICS_NOT_FOR_SIGNING' });
    expect(phone.keystore?.hasPin).toBe(false);
    await app.enableBiometricUnlock(phone, PIN);
    await expect(app.signChallengeWithBiometrics(phone, 'no-match', randomBytes(32))).rejects.toMatchObject({ reason: 'BIOMETRY_NO_MATCH' });
    const released = phone.keystore!.openPin('match');
    const http = phone.session(vsim());
    const { channel } = await http.post<{ channel: number }>(`/sims/${signer.iccid}/channels`, { aid: SIGNING });
    const verify = await http.post<{ sw: string }>(`/sims/${signer.iccid}/channels/${channel}/transmit`, { apdu: buildVerify(released).toString() });
    expect(verify.sw).toBe('6A88');
    await http.delete(`/sims/${signer.iccid}/channels/${channel}`);
    expect(await signingState(signer.iccid)).toEqual(before);
    const login = await new BankClient(e.rpBank).login((challenge) => app.signChallengeWithBiometrics(phone, 'match', challenge));
    expect(login).toMatchObject({ holder: { serial: expect.any(String) }, status: { source: 'ocsp' } });
  }, 180_000);

  it('ATK-06: a stranger puts the victim’s SIM "in" their own phone → 401 AUTH_REQUIRED / 403 ROLE_REQUIRED; the SIM stays in the victim’s phone', async () => {
    const iccid = victim.iccid;
    const before = await cardState(iccid);
    const mine = Handset.create(iccid);
    const body = { imei: mine.imei, devicePublicKey: mine.devicePublicKey };
    expect(await refusalOf(new HttpJson(vsim()).put(`/sims/${iccid}/handset-binding`, body))).toMatchObject({ status: 401, reason: 'AUTH_REQUIRED' });
    const auditor = new HttpJson(vsim(), platform.keys.operatorToken('mallory@audit', ['auditor']));
    expect(await refusalOf(auditor.put(`/sims/${iccid}/handset-binding`, body))).toMatchObject({ status: 403, reason: 'ROLE_REQUIRED' });
    expect(await cardState(iccid)).toEqual(before);
    expect(before.imei).toBe(victim.handset.imei);
    expect(await refusalOf(new JpkiUiApp(platform.endpoints).signChallenge(mine, PIN, randomBytes(32)))).toMatchObject({ status: 403, reason: 'HANDSET_NOT_BOUND' });
  });
});
