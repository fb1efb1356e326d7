import { CARRIER_PROFILES, CARRIERS, hostCarrierOf, OtaScriptRequested, Topics, type Carrier, type MvnoId } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, enrollAndAuthenticate, HttpJson, type KeyMode } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { startPlatformUnderTest, testKafkaBrokers, TopicWatcher, type PlatformUnderTest } from '@jpki/testing';

/**
 * The seed's central flow with every service as its own process on the real broker and database:
 * one enrollment per carrier plus an MVNO subscriber, both key modes, each ending with a login
 * verified by a relying party (signature, chain to the JPKI user-authentication CA, OCSP). The carriers
 * differ: AES-128/192/256 keysets, S8 and S16 SSDs, 255- and 128-byte OTA APDUs.
 */
describe('e2e: multi-carrier enrollment and authentication', () => {
  let platform: PlatformUnderTest;
  let otaDown: TopicWatcher;

  beforeAll(async () => {
    // docomo's OTA path is narrowed to 128-byte APDU data fields: the SP-TSM must size its wrapped STORE DATA blocks from
    // the eligibility answer, or the MNO-TSM refuses them (APDU_TOO_LARGE).
    platform = await startPlatformUnderTest({ serviceEnv: { 'mno-tsm-docomo': { MAX_APDU_DATA_BYTES: '128' } } });
    otaDown = await new TopicWatcher(kafkaClient('ota-down-watch', testKafkaBrokers()), platform.topicPrefix).watch(
      ...CARRIERS.map((c) => Topics.otaDown[c].name),
    );
  }, 120_000);

  afterAll(async () => {
    await otaDown?.stop();
    await platform?.stop();
  });

  const phones: [Carrier | MvnoId, KeyMode][] = [
    ['docomo', 'on-card'],
    ['kddi', 'delivered'],
    ['softbank', 'on-card'],
    ['iijmio', 'delivered'],
  ];

  it.each(phones)('enrolls a %s phone (%s key) and logs in with it', async (operator, keyMode) => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const subscriber = await createSubscriber(e, platform.operatorToken, operator);
    const { enrollment, login } = await enrollAndAuthenticate(e, citizen, subscriber, operator, keyMode);

    expect(enrollment).toMatchObject({ status: 'completed', state: 'operational', iccid: subscriber.iccid });
    expect(enrollment.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual([
      'identity-proofing',
      'eligibility',
      'ssd-creation',
      'key-handover',
      'applet-install',
      'key-provisioning',
      'certificate-issuance',
      'certificate-write',
      'activation',
    ]);
    expect(login).toMatchObject({ ok: true, serial: enrollment.serial });

    // Each card operation is one OTA script (a re-send keeps its scriptId): at most six round trips per enrollment,
    // one fewer without the proof of possession.
    const scripts = new Set(
      otaDown.messages
        .map((m) => m.json<{ type: string; payload: { iccid: string; scriptId: string } }>())
        .filter((m) => m.type === OtaScriptRequested.type && m.payload.iccid === subscriber.iccid)
        .map((m) => m.payload.scriptId),
    );
    expect(scripts.size).toBeLessThanOrEqual(keyMode === 'on-card' ? 6 : 5);

    // The CA holds exactly one good phone certificate for this person, bound to this SIM.
    const person = await new HttpJson(e.ca, platform.operatorToken).get<{ certificates: { kind: string; status: string; serial: string; device: { iccid?: string } | null }[] }>(
      `/citizens/${citizen.personId}`,
    );
    const phonesOfPerson = person.certificates.filter((c) => c.kind === 'phone-user-authentication');
    expect(phonesOfPerson).toEqual([expect.objectContaining({ status: 'good', serial: enrollment.serial, device: expect.objectContaining({ iccid: subscriber.iccid }) })]);

    // The SSD runs SCP03 in the host carrier's mode (SoftBank's profile uses S16), and the SP's sessions worked in it.
    const sim = await new HttpJson(e.vsim, platform.operatorToken).get<{ card: { registry: { kind: string; scp03?: { i: string; mode: string } }[] } }>(
      `/sims/${subscriber.iccid}`,
    );
    const mode = CARRIER_PROFILES[hostCarrierOf(operator)].scp03SMode;
    expect(sim.card.registry.filter((r) => r.kind === 'SSD').map((r) => r.scp03)).toEqual([{ i: mode === 16 ? '71' : '70', mode: `S${mode}` }]);
  }, 120_000);
});
