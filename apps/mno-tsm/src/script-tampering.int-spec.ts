import { randomUUID } from 'node:crypto';
import { SsdCreated, SsdCreationRequested, type PayloadOf } from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import {
  buildGetData,
  buildPutKey,
  CardStatusError,
  DataObject,
  fromHex,
  GpSession,
  hex,
  Ins,
  Scp03KeySet,
  ScriptStopped,
  SecurityLevel,
  type ScriptTransport,
} from '@jpki/globalplatform';
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

    // One script from the SP-TSM: SELECT SSD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, then two protected commands.
    // alter: the first protected command (GET DATA) is hit; replay: the second (PUT KEY) is replaced by the first.
    const ssdAid = fromHex(SSD);
    const newKeys = Scp03KeySet.fromSingleKey(0x31, Buffer.alloc(24, 0x33));
    const forward = mno.forwardScripts(iccid);
    let sent: string[] = [];
    const recorded: ScriptTransport = (apdus) => {
      sent = apdus.map((a) => hex(a));
      return forward(apdus);
    };
    const sp = new GpSession(recorded, ssdAid, temp, {
      securityLevel: SecurityLevel.C_DECRYPTION_C_MAC_R_MAC,
      sMode: mno.settings.profile.scp03SMode,
    });
    let refused: unknown;
    try {
      await sp.run((script, session) => {
        script.select(ssdAid);
        return session(ssdAid, [buildGetData(DataObject.KEY_INFORMATION_TEMPLATE), buildPutKey(newKeys, temp.dek, temp.kvn)]);
      });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ScriptStopped);
    expect(refused).toBeInstanceOf(CardStatusError);
    expect((refused as CardStatusError).sw).toBe(0x6982);
    expect((refused as ScriptStopped).command.ins).toBe(mode === 'alter' ? Ins.GET_DATA : Ins.PUT_KEY);
    // What reached the card is the SP's script with exactly that protected command tampered (the last one it ran).
    const onCard = mno.responder.received.filter((r) => r.scriptId.startsWith('fwd/')).at(-1)!.apdus.map((a) => a.toUpperCase());
    expect(onCard).toHaveLength(sent.length);
    expect(onCard.flatMap((a, i) => (a === sent[i] ? [] : [i]))).toEqual([mode === 'alter' ? 3 : 4]);
    expect(onCard[4]).toBe(mode === 'alter' ? sent[4] : sent[3]);
    const ssd = mno.responder.cards.get(iccid)!.toImage().registry.find((e) => e.aid === SSD) as { keysets?: { kvn: number }[] };
    expect(ssd.keysets?.map((k) => k.kvn)).toEqual([temp.kvn]);
  }, 90_000);
});
