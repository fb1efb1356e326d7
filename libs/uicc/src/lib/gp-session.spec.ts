import {
  buildGenerateKeyPair,
  buildGetStatus,
  buildInitializeUpdate,
  buildInstallParameters,
  buildManageChannelClose,
  buildManageChannelOpen,
  buildPutKey,
  buildSelect,
  CardScript,
  GetStatusScope,
  GpSession,
  hex,
  Ins,
  parseGetStatusResponse,
  parsePublicKeyTemplate,
  ResponseApdu,
  Scp03KeySet,
  SecurityLevel,
  SequenceCounterMismatch,
  Sw,
  type SequenceCounterStore,
} from '@jpki/globalplatform';
import {
  createSsd,
  gpSession,
  ICCID,
  inApplet,
  inSession,
  installJpkiCommand,
  installSsd,
  ISD_AID,
  JPKI_A,
  keySetCommands,
  MNO_ISD_KEYS,
  newCard,
  openedSession,
  otaScripts,
  provisionedCard,
  SP_KEYS_A,
  SSD_A,
  SSD_B,
  sw,
  swOf,
  TEMP_KEYS_A,
  TEMP_KEYS_B,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const LEVEL = SecurityLevel.C_DECRYPTION_C_MAC_R_MAC;

/** A counter store in memory; `forgets` drops every write (a host that never learns). */
function counterStore(initial?: number, forgets = false): SequenceCounterStore & { value?: number } {
  const store = {
    value: initial,
    last: async () => store.value,
    saw: async (counter: number) => {
      if (!forgets) store.value = counter;
    },
  };
  return store;
}

describe('GpSession: card operations with one keyset whose sequence counter the host keeps', () => {
  const getStatus = (keys: GpSession) =>
    keys.run((script, session) => {
      script.select(SSD_A);
      return session(SSD_A, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    });

  it('with the counter known, an operation is one round trip and the store moves to the counter the card used', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(2);

    const status = await getStatus(new GpSession(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect(status.data[0].length).toBeGreaterThan(0);
    expect([ota.roundTrips, counter.value]).toEqual([1, 3]);
  });

  it('an unknown counter costs one INITIALIZE UPDATE to learn it first', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(undefined);

    await getStatus(new GpSession(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect([ota.roundTrips, counter.value]).toEqual([2, 4]);
  });

  it('a card that moved on (an answer lost) costs one refused script, then the operation is re-planned from its counter', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(0);

    await getStatus(new GpSession(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect([ota.roundTrips, counter.value]).toEqual([2, 4]);
  });

  // GET STATUS of applications under SSD B's AID prefix: nothing there, the card refuses it with 6A88.
  const nothingFound = buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: SSD_B });
  const applications = buildGetStatus(GetStatusScope.APPLICATIONS);

  it.each([
    { refusedIn: 'the second session', first: [applications], second: [nothingFound], answered: 2 },
    { refusedIn: 'the first session', first: [nothingFound], second: [applications], answered: 1 },
  ])(
    'a card that refuses a command in $refusedIn of a script keeps the counter of each INITIALIZE UPDATE it answered: the next operation is one round trip, no authentication refused',
    async ({ first, second, answered }) => {
      const card = await provisionedCard();
      const transmit = jest.spyOn(card, 'transmit');
      const ota = otaScripts(card);
      const counter = counterStore(2);
      const keys = new GpSession(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter);

      const twoSessions = keys.run((script, session) => {
        script.select(SSD_A);
        session(SSD_A, first);
        script.select(SSD_A);
        return session(SSD_A, second);
      });
      await expect(twoSessions).rejects.toMatchObject({ sw: Sw.REFERENCED_DATA_NOT_FOUND, command: { ins: Ins.GET_STATUS } });
      await getStatus(keys);

      const refusedAuthentications = transmit.mock.calls.filter(
        ([command], i) => command[1] === Ins.EXTERNAL_AUTHENTICATE && sw(transmit.mock.results[i].value as Buffer) !== '9000',
      );
      expect({ roundTrips: ota.roundTrips, refusedAuthentications: refusedAuthentications.length, counter: counter.value }).toEqual({
        roundTrips: 2,
        refusedAuthentications: 0,
        counter: 3 + answered,
      });
    },
  );

  it('a counter that still does not match after one re-plan is refused, not chased', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);

    const error = await getStatus(new GpSession(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counterStore(0, true))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SequenceCounterMismatch);
    expect(ota.roundTrips).toBe(2);
  });
});

/** The MNO creates an SSD whose install parameters announce SCP03 with i = 71 (S16 mode) and gives it temporary keys. */
async function s16Ssd(): Promise<VirtualUicc> {
  const card = newCard();
  await createSsd(card, SSD_A, TEMP_KEYS_A, buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x71 } }));
  return card;
}

const S16 = { level: SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC, sMode: 16 } as const;

/** What the SD announces to a raw INITIALIZE UPDATE: KDD (10) ‖ KVN ‖ SCP id ‖ i ‖ card challenge ‖ cryptogram ‖ counter. */
function announcement(card: VirtualUicc, kvn: number, sMode: number): { kvn: number; i: number; challenge: Buffer } {
  card.transmit(buildSelect(SSD_A).toBytes());
  const { data } = ResponseApdu.parse(card.transmit(buildInitializeUpdate(kvn, Buffer.alloc(sMode)).toBytes()));
  return { kvn: data[10], i: data[12], challenge: data.subarray(13, data.length - 3 - sMode) };
}

const ssdOf = (card: VirtualUicc) => card.toImage().registry.find((entry) => entry.aid === hex(SSD_A));

describe('GpSession against the virtual UICC', () => {
  it('runs the SSD creation as one pre-wrapped session, leaving the card as the same commands in two sessions do', async () => {
    const scripted = newCard();
    const commands = [installSsd(SSD_A), ...keySetCommands(SSD_A, TEMP_KEYS_A, MNO_ISD_KEYS.dek)];
    const created = await inSession(scripted, ISD_AID, MNO_ISD_KEYS, commands, { level: LEVEL });
    expect(created.sws).toEqual(commands.map(() => Sw.OK));

    const stepwise = newCard();
    await inSession(stepwise, ISD_AID, MNO_ISD_KEYS, [installSsd(SSD_A)]);
    await inSession(stepwise, ISD_AID, MNO_ISD_KEYS, keySetCommands(SSD_A, TEMP_KEYS_A, MNO_ISD_KEYS.dek));
    expect(ssdOf(scripted)).toEqual(ssdOf(stepwise));
  });

  it('authenticates a card whose keys are diversified from a master key and the KDD it announces (KDF3 template)', async () => {
    const master = Buffer.alloc(16, 0x77);
    const kdd = Buffer.from(ICCID.padEnd(20, 'F'), 'hex');
    const card = newCard({ isdKeyset: Scp03KeySet.diversifyKdf3(0x30, master, kdd) });
    let announcedKdd: Buffer = Buffer.alloc(0);
    const learn = new CardScript();
    learn.select(ISD_AID);
    learn.initializeUpdate(ISD_AID, (cardKdd, kvn) => {
      announcedKdd = cardKdd;
      return Scp03KeySet.diversifyKdf3(kvn, master, cardKdd);
    });
    await learn.run(otaScripts(card));
    expect(hex(announcedKdd)).toBe(hex(kdd));
    const isdKeys = Scp03KeySet.diversifyKdf3(0x30, master, announcedKdd);
    const status = await inSession(card, ISD_AID, isdKeys, [buildGetStatus(GetStatusScope.ISSUER_SECURITY_DOMAIN)], { level: SecurityLevel.C_MAC });
    expect(parseGetStatusResponse(status.data[0], GetStatusScope.ISSUER_SECURITY_DOMAIN)).toHaveLength(1);
  });

  it('an SSD installed with i = 71 runs SCP03 in S16 mode: key handover, applet install, and the mode survives a reload', async () => {
    const card = await s16Ssd();
    const announced = announcement(card, TEMP_KEYS_A.kvn, 16);
    expect({ kvn: announced.kvn, i: announced.i }).toEqual({ kvn: TEMP_KEYS_A.kvn, i: 0x71 });
    expect(announced.challenge).toHaveLength(16);
    const handover = await inSession(card, SSD_A, TEMP_KEYS_A, [buildPutKey(SP_KEYS_A, TEMP_KEYS_A.dek, TEMP_KEYS_A.kvn)], S16);
    expect(handover.data[0][0]).toBe(SP_KEYS_A.kvn);

    const reloaded = VirtualUicc.fromImage(card.toImage());
    const sp = await inSession(reloaded, SSD_A, SP_KEYS_A, [installJpkiCommand(JPKI_A), buildGetStatus(GetStatusScope.APPLICATIONS)], S16);
    expect(parseGetStatusResponse(sp.data[1], GetStatusScope.APPLICATIONS).map((entry) => hex(entry.aid))).toContain(hex(JPKI_A));
  });

  it('an S8 host on an S16 security domain gets 6700 and costs no authentication try', async () => {
    const card = await s16Ssd();
    expect(await swOf(gpSession(card, SSD_A, TEMP_KEYS_A, { level: SecurityLevel.C_MAC }).authenticateCard())).toBe(0x6700);
    const ssd = ssdOf(card);
    expect(ssd?.kind === 'SSD' && ssd.keysets.map((k) => k.failedAuthentications)).toEqual([0]);
    expect(sw(card.transmit(buildSelect(SSD_A).toBytes()))).toBe('9000');
    await expect(inSession(card, SSD_A, TEMP_KEYS_A, [], S16)).resolves.toBeDefined();
  });

  it('keeps independent secure channels on different logical channels', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await createSsd(card, SSD_B, TEMP_KEYS_B);
    const ownApplications = (ssd: Buffer) => buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: ssd });
    const basic = await openedSession(card, SSD_A, TEMP_KEYS_A, [ownApplications(SSD_A)]);
    expect(hex(card.transmit(buildManageChannelOpen().toBytes()))).toBe('019000');
    const other = new CardScript(1);
    other.select(SSD_B);
    other.session(SSD_B, { keys: TEMP_KEYS_B, securityLevel: SecurityLevel.C_MAC_R_MAC, sequenceCounter: 1 }, [ownApplications(SSD_B)]);
    // 6A88 (nothing found), not 6982: each channel's session accepts its own wrapped GET STATUS.
    await expect(other.run(otaScripts(card))).rejects.toMatchObject({ sw: Sw.REFERENCED_DATA_NOT_FOUND, command: { ins: Ins.GET_STATUS } });
    expect(basic.wrapped.map((command) => sw(card.transmit(command)))).toEqual(['6A88']);
    expect(sw(card.transmit(buildManageChannelClose(1).toBytes()))).toBe('9000');
    expect(sw(card.transmit(Buffer.from('01A4040000', 'hex')))).toBe('6881');
  });

  it('a long protected response comes in 61xx parts that GET RESPONSE joins before the host checks it', async () => {
    const card = await provisionedCard();
    const sp = await openedSession(card, SSD_A, SP_KEYS_A, [buildGenerateKeyPair()], { level: SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC, aid: JPKI_A });
    const first = card.transmit(sp.wrapped[0]);
    expect(sw(first).startsWith('61')).toBe(true);
    const rest = card.transmit(Buffer.from('00C0000000', 'hex'));
    expect(sw(rest)).toBe('9000');
    const generated = await sp.check([Buffer.concat([first.subarray(0, -2), rest])]);
    expect(parsePublicKeyTemplate(generated.data[0]).modulus).toHaveLength(256);
    expect(sw(card.transmit(Buffer.from('00C0000000', 'hex')))).toBe('6985');
    const again = await inApplet(card, [buildGenerateKeyPair()], { long: true });
    expect(parsePublicKeyTemplate(again.data[0]).exponent.toString('hex')).toBe('010001');
  });
});
