import { generateKeyPairSync } from 'node:crypto';
import { buildVerify, hex, JpkiAid } from '@jpki/globalplatform';
import { Handset } from '@jpki/jpki-client';
import { createSsdCommands, installJpkiCommand, ISD_AID, newIccid, inSessionOverOta, randomIsdKeys, SSD_AID, VsimHarness, type PhoneUnderTest } from './test/vsim-harness';

const JPKI = hex(JpkiAid.DEFAULT_INSTANCE);
const IDLE_SECONDS = 2;

describe('vsim handset binding and channel ownership over the real broker and database', () => {
  let h: VsimHarness;
  const iccid = newIccid('docomo');
  let phone: PhoneUnderTest;

  const summary = async () => (await h.http.get(`/sims/${iccid}`).set('authorization', h.token(['auditor'])).expect(200)).body;

  beforeAll(async () => {
    h = await VsimHarness.start({ HANDSET_CHANNEL_IDLE_SECONDS: String(IDLE_SECONDS) });
    const isdKeys = randomIsdKeys();
    const tempKeys = randomIsdKeys();
    await h.manufacture('docomo', iccid, isdKeys);
    await inSessionOverOta(h, { carrier: 'docomo', iccid }, ISD_AID, isdKeys, createSsdCommands(isdKeys, tempKeys));
    await inSessionOverOta(h, { carrier: 'docomo', iccid }, SSD_AID, tempKeys, [installJpkiCommand()], 0x01);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('refuses the channel while the SIM is in no handset, and binds only with a role and valid handset identity', async () => {
    const nobody = Handset.create(iccid);
    expect((await h.http.post(`/sims/${iccid}/channels`).send({ aid: JPKI }).expect(401)).body.reason).toBe('HANDSET_AUTH_REQUIRED');
    const unbound = h.http.post(`/sims/${iccid}/channels`).set('x-handset-signature', nobody.signRequest('session-x1', 'POST', `/sims/${iccid}/channels`, JSON.stringify({ aid: JPKI })));
    expect((await unbound.send({ aid: JPKI }).expect(403)).body.reason).toBe('HANDSET_NOT_BOUND');

    const bind = (body: object, roles?: ('auditor' | 'integrator' | 'operator')[]) => {
      const request = h.http.put(`/sims/${iccid}/handset-binding`);
      return (roles ? request.set('authorization', h.token(roles, 'ian')) : request).send(body);
    };
    const good = { imei: nobody.imei, devicePublicKey: nobody.devicePublicKey };
    expect((await bind(good).expect(401)).body.reason).toBe('AUTH_REQUIRED');
    expect((await bind(good, ['auditor']).expect(403)).body.reason).toBe('ROLE_REQUIRED');
    const lastDigit = (Number(nobody.imei[14]) + 1) % 10;
    expect((await bind({ ...good, imei: nobody.imei.slice(0, 14) + lastDigit }, ['integrator']).expect(400)).body.reason).toBe('IMEI_INVALID');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect((await bind({ ...good, devicePublicKey: p256 }, ['integrator']).expect(400)).body.reason).toBe('DEVICE_KEY_INVALID');
    expect((await summary()).handset).toMatchObject({ imei: null, boundAt: null });

    phone = await h.insertSim(iccid);
    expect((await summary()).handset).toMatchObject({ power: 'on', imei: phone.handset.imei });
    const again = await bind({ imei: phone.handset.imei, devicePublicKey: phone.handset.devicePublicKey }, ['operator']).expect(200);
    expect(again.body).toMatchObject({ seid: iccid, imei: phone.handset.imei, changed: false });
    const audit = await h.ds.query(`SELECT action, details->>'changed' AS changed FROM audit_log WHERE seid = $1 AND action = 'handset.bind' ORDER BY id`, [iccid]);
    expect(audit).toEqual([
      { action: 'handset.bind', changed: 'true' },
      { action: 'handset.bind', changed: 'false' },
    ]);
  });

  it("keeps a channel and its verified PIN to the session that opened it; a request is accepted once", async () => {
    const channel = (await phone.open(JPKI).expect(201)).body.channel;
    const other = phone.inSession('another-app-session');
    expect((await other.transmit(channel, buildVerify().toString()).expect(403)).body.reason).toBe('CHANNEL_NOT_OWNED');
    expect((await other.close(channel).expect(403)).body.reason).toBe('CHANNEL_NOT_OWNED');
    expect((await phone.transmit(channel, buildVerify().toString()).expect(200)).body.sw).toBe('6984');

    const path = `/sims/${iccid}/channels/${channel}/transmit`;
    const body = JSON.stringify({ apdu: buildVerify().toString() });
    const header = phone.handset.signRequest(phone.session, 'POST', path, body);
    const send = () => h.http.post(path).set('x-handset-signature', header).set('content-type', 'application/json').send(body);
    expect((await send().expect(200)).body.sw).toBe('6984');
    expect((await send().expect(401)).body.reason).toBe('HANDSET_REQUEST_REPLAYED');
    const stale = phone.handset.signRequest(phone.session, 'POST', path, body, Date.now() - 61_000);
    expect((await h.http.post(path).set('x-handset-signature', stale).set('content-type', 'application/json').send(body).expect(401)).body.reason).toBe(
      'HANDSET_REQUEST_STALE',
    );
    await phone.close(channel).expect(204);
  });

  it("closes the handset's own idle channels when it opens another: a crashed app does not lock its phone out", async () => {
    const crashed = phone.inSession('crashed-app-session');
    const abandoned = [];
    for (let i = 0; i < 3; i++) abandoned.push((await crashed.open(JPKI).expect(201)).body.channel);
    expect(abandoned.sort()).toEqual([1, 2, 3]);
    expect((await phone.open(JPKI).expect(409)).body.reason).toBe('NO_CHANNEL_AVAILABLE');

    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000 + 300));
    const channel = (await phone.open(JPKI).expect(201)).body.channel;
    expect((await summary()).openChannels).toEqual([expect.objectContaining({ channel, imei: phone.handset.imei })]);
    expect((await crashed.transmit(abandoned.find((c) => c !== channel)!, buildVerify().toString()).expect(404)).body.reason).toBe('CHANNEL_NOT_OPEN');
    await phone.close(channel).expect(204);
  });

  it('moving the SIM to another handset power-cycles the card: the old phone is refused, its channels are closed', async () => {
    const channel = (await phone.open(JPKI).expect(201)).body.channel;
    const previous = phone;
    phone = await h.insertSim(iccid);
    expect((await summary()).openChannels).toEqual([]);
    expect((await previous.transmit(channel, buildVerify().toString()).expect(403)).body.reason).toBe('HANDSET_NOT_BOUND');
    expect((await previous.open(JPKI).expect(403)).body.reason).toBe('HANDSET_NOT_BOUND');
    const reopened = (await phone.open(JPKI).expect(201)).body.channel;
    expect((await phone.transmit(reopened, buildVerify().toString()).expect(200)).body.sw).toBe('6984');
    await phone.close(reopened).expect(204);
  });
});
