import {
  buildGetData,
  buildGetStatus,
  buildSelect,
  buildSetStatus,
  CardLifeCycle,
  DataObject,
  fromHex,
  GetStatusScope,
  hex,
  JpkiAid,
  parseExtendedCardResources,
  parseGetStatusResponse,
  parseKeyInformationTemplate,
  SecurityLevel,
  SetStatusScope,
  Sw,
} from '@jpki/globalplatform';
import { apdu, createSsd, ICCID, inSession, ISD_AID, MNO_ISD_KEYS, newCard, plain, SSD_A, sw, swOf, TEMP_KEYS_A } from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

describe('VirtualUicc: the OPEN', () => {
  it('selects the ISD by default and by AID with an FCI', () => {
    const card = newCard();
    const response = card.transmit(buildSelect(ISD_AID).toBytes());
    expect(hex(response)).toBe('6F10' + '8408A000000151000000' + 'A5049F6501FF' + '9000');
    expect(sw(card.transmit(buildSelect().toBytes()))).toBe('9000');
    expect(sw(card.transmit(buildSelect(fromHex('A0000000000000')).toBytes()))).toBe('6A82');
  });

  it('answers GET DATA without a secure channel and never with key values', async () => {
    const card = newCard();
    const tags = [DataObject.KEY_INFORMATION_TEMPLATE, DataObject.CARD_DATA, DataObject.EXTENDED_CARD_RESOURCES];
    const { data, sws } = await plain(card, tags.map((tag) => buildGetData(tag)));
    expect(sws).toEqual(tags.map(() => Sw.OK));
    const [keyInformation, cardData, resources] = data;
    expect(parseKeyInformationTemplate(keyInformation)).toEqual([1, 2, 3].map((keyId) => ({ keyId, kvn: 0x30, type: 0x88, length: 16 })));
    expect(hex(cardData).startsWith('6626732406072A864886FC6B01')).toBe(true);
    expect(parseExtendedCardResources(resources)).toEqual({ installedApplications: 0, freeNonVolatileMemory: 64 * 1024 - 16 - 48, freeVolatileMemory: 2048 });
    expect(sw(card.transmit(apdu('80CA00C100')))).toBe('6A88');
  });

  it('answers undefined classes, instructions and channels precisely', () => {
    const card = newCard();
    expect(sw(card.transmit(apdu('FF000000')))).toBe('6E00');
    expect(sw(card.transmit(apdu('2000000000')))).toBe('6E00');
    expect(sw(card.transmit(apdu('80AA0000')))).toBe('6D00');
    expect(sw(card.transmit(apdu('00600000')))).toBe('6D00');
    expect(sw(card.transmit(apdu('01A4040000')))).toBe('6881');
    expect(sw(card.transmit(apdu('40A4040000')))).toBe('6881');
    expect(sw(card.transmit(apdu('10A4040000')))).toBe('6884');
    expect(sw(card.transmit(apdu('80F2')))).toBe('6700');
    expect(sw(card.transmit(apdu('80F2400002')))).toBe('6982');
  });

  it('opens and closes logical channels 1-3 and refuses more', () => {
    const card = newCard();
    expect(hex(card.transmit(apdu('0070000001')))).toBe('019000');
    expect(hex(card.transmit(apdu('0070000001')))).toBe('029000');
    expect(hex(card.transmit(apdu('0070000001')))).toBe('039000');
    expect(sw(card.transmit(apdu('0070000001')))).toBe('6A81');
    expect(sw(card.transmit(apdu('02708002')))).toBe('9000');
    expect(sw(card.transmit(apdu('02A4040000')))).toBe('6881');
    expect(sw(card.transmit(apdu('00708000')))).toBe('6A86');
    expect(sw(card.transmit(apdu('00708005')))).toBe('6881');
    card.reset();
    expect(sw(card.transmit(apdu('01A4040000')))).toBe('6881');
  });

  it('lists the registry with GET STATUS and continues after 6310', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const scopes = [GetStatusScope.ISSUER_SECURITY_DOMAIN, GetStatusScope.APPLICATIONS, GetStatusScope.LOAD_FILES_AND_MODULES];
    const isd = await inSession(card, ISD_AID, MNO_ISD_KEYS, scopes.map((scope) => buildGetStatus(scope)), { level: SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC });
    const [[isdEntry], apps, files] = scopes.map((scope, i) => parseGetStatusResponse(isd.data[i], scope));
    expect(isdEntry).toMatchObject({ kind: 'ISD', lifeCycle: CardLifeCycle.SECURED });
    expect(hex(isdEntry.privileges?.toBytes() ?? Buffer.alloc(0))).toBe('9E4400');
    expect(apps.map((entry) => [entry.kind, hex(entry.aid), entry.lifeCycle])).toEqual([['SSD', hex(SSD_A), 0x07]]);
    expect(files.map((entry) => hex(entry.aid))).toEqual(['A0000001515350', hex(JpkiAid.LOAD_FILE)]);
    expect(files[1].modules?.map((m) => hex(m))).toEqual([hex(JpkiAid.MODULE)]);

    for (let i = 0; i < 8; i++) {
      await createSsd(card, fromHex(`A00000055910100${i}`), TEMP_KEYS_A);
    }
    const pages = [buildGetStatus(GetStatusScope.APPLICATIONS), buildGetStatus(GetStatusScope.APPLICATIONS, { next: true })];
    const paged = await inSession(card, ISD_AID, MNO_ISD_KEYS, pages, { level: SecurityLevel.C_MAC_R_MAC });
    expect(paged.sws).toEqual([Sw.MORE_DATA_AVAILABLE, Sw.OK]);
    expect(paged.data.flatMap((page) => parseGetStatusResponse(page, GetStatusScope.APPLICATIONS))).toHaveLength(9);
    const none = buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: fromHex('A1') });
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [none], { level: SecurityLevel.C_MAC_R_MAC }))).toBe(0x6a88);
  });

  it('locks the card with SET STATUS and only the ISD stays reachable', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [buildSetStatus(SetStatusScope.CARD, CardLifeCycle.CARD_LOCKED)]);
    expect(sw(card.transmit(buildSelect(SSD_A, 0).toBytes()))).toBe('6A81');
    expect(sw(card.transmit(buildSelect(ISD_AID).toBytes()))).toBe('6283');
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [buildSetStatus(SetStatusScope.CARD, CardLifeCycle.SECURED)]);
    expect(sw(card.transmit(buildSelect(SSD_A).toBytes()))).toBe('9000');
  });
});

describe('VirtualUicc: persistence', () => {
  it('counts revisions, reports dirty state and reloads the same image', async () => {
    const card = newCard();
    expect(card.revision).toBe(0);
    expect(card.isDirty).toBe(false);
    card.transmit(buildSelect(ISD_AID).toBytes());
    expect(card.isDirty).toBe(false);
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    expect(card.isDirty).toBe(true);
    expect(card.revision).toBeGreaterThan(0);
    card.markClean();
    const image = card.toImage();
    const reloaded = VirtualUicc.fromImage(JSON.parse(JSON.stringify(image)));
    expect(reloaded.toImage()).toStrictEqual(image);
    expect(reloaded.iccid).toBe(ICCID);
    expect(() => VirtualUicc.fromImage({ ...image, format: 'other' } as never)).toThrow('image');
  });

  it('rejects a bad ICCID at manufacture', () => {
    expect(() => newCard({ iccid: '12ab' })).toThrow('ICCID');
    expect(() => newCard({ iccid: 'E50102030405060708ab' })).toThrow('SEID');
  });

  it('manufactures an embedded SE by its SEID, which is also its KDD', () => {
    const ese = newCard({ iccid: 'E50102030405060708AB' });
    expect(ese.iccid).toBe('E50102030405060708AB');
    expect(ese.toImage().kdd).toBe('E50102030405060708AB');
  });
});
