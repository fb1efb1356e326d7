import { randomUUID } from 'node:crypto';
import { SsdCreated, SsdCreationRequested, type PayloadOf } from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import { CardStatusError, fromHex, GetStatusScope, GpSession, Scp03KeySet, SecurityLevel } from '@jpki/globalplatform';
import { MnoTsmUnderTest } from './test/mno-harness';

const SSD = 'A0000005591010FFFFFFFF8900000200';

/**
 * The tamper switch (security tests only): a misbehaving MNO-TSM alters or replays the SP's
 * forwarded secure-messaging APDUs; the card refuses them (6982) and the SP sees the refusal.
 */
describe.each(['alter', 'replay'] as const)('mno-tsm-kddi with MNO_SCRIPT_TAMPERING=%s (real broker and DB, test vsim)', (mode) => {
  const mno = new MnoTsmUnderTest('kddi', { MNO_SCRIPT_TAMPERING: mode });

  beforeAll(() => mno.start(), 60_000);
  afterAll(() => mno.stop());

  it('the card rejects the tampered APDU and the SP-TSM sees the refusal; the SSD keys are unchanged', async () => {
    const { iccid } = await mno.subscriber();
    const requestId = `ssd-${randomUUID()}`;
    await mno.send(SsdCreationRequested, { requestId, carrier: 'kddi', iccid, ssdAid: SSD, keysetRecipient: 'sp-tsm' });
    const created = (await mno.reply(requestId, SsdCreated.type, undefined, 60_000)).payload as PayloadOf<typeof SsdCreated>;
    const json = JSON.parse(open(created.temporaryKeyset, 'sp-tsm', transportPrivateKey(mno.keys.keys.get('sp-tsm')!.transportPkcs8), `ssd-keyset/${iccid}/${SSD}`).toString());
    const temp = new Scp03KeySet(json.kvn, fromHex(json.enc), fromHex(json.mac), fromHex(json.dek));

    const sp = new GpSession(mno.forwardTransport(iccid));
    await sp.select(fromHex(SSD));
    await sp.openSecureChannel({ keys: temp, securityLevel: SecurityLevel.C_DECRYPTION_C_MAC_R_MAC });
    let refused: unknown;
    try {
      // alter: the first protected command is hit; replay: the second one is replaced by the first.
      await sp.getStatus(GetStatusScope.APPLICATIONS);
      await sp.putKeys(Scp03KeySet.fromSingleKey(0x31, Buffer.alloc(24, 0x33)), temp.kvn);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(CardStatusError);
    expect((refused as CardStatusError).sw).toBe(0x6982);
    const ssd = mno.responder.cards.get(iccid)!.toImage().registry.find((e) => e.aid === SSD) as { keysets?: { kvn: number }[] };
    expect(ssd.keysets?.map((k) => k.kvn)).toEqual([temp.kvn]);
  }, 90_000);
});
