import {
  buildCapLoadFile,
  buildContentKeyDo,
  buildInitializeUpdate,
  buildInstallForLoad,
  buildLoadCommands,
  buildPrivateKeyDo,
  buildSelect,
  fromHex,
  GetStatusScope,
  hex,
  JpkiAid,
  Privileges,
  SecurityLevel,
} from '@jpki/globalplatform';
import {
  BER_TLV_ENCRYPTED,
  connect,
  CONTENT_KEY_A,
  createSsd,
  handOver,
  installContentKey,
  installJpki,
  ISD_AID,
  JPKI_A,
  MNO_ISD_KEYS,
  newCard,
  personalizeApplet,
  pkcs8,
  rsaPool,
  secureSession,
  SP_KEYS_A,
  SSD_A,
  sw,
  swOf,
  TEMP_KEYS_A,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const WRONG_EXTERNAL_AUTHENTICATE = fromHex('8482010010' + '00'.repeat(16));

function failAuthentication(card: VirtualUicc, kvn: number): string {
  card.transmit(buildSelect(ISD_AID).toBytes());
  const initializeUpdate = sw(card.transmit(buildInitializeUpdate(kvn, Buffer.alloc(8, 7)).toBytes()));
  return initializeUpdate === '9000' ? sw(card.transmit(WRONG_EXTERNAL_AUTHENTICATE)) : initializeUpdate;
}

describe('failed secure channel authentication', () => {
  it('blocks the keyset after N consecutive wrong host cryptograms, for good', async () => {
    const card = newCard();
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(failAuthentication(card, 0x30)).toBe('6300');
    }
    expect(failAuthentication(card, 0x30)).toBe('6983');
    expect(await swOf(secureSession(card, ISD_AID, MNO_ISD_KEYS))).toBe(0x6983);
    card.reset();
    expect(await swOf(secureSession(card, ISD_AID, MNO_ISD_KEYS))).toBe(0x6983);
    const reloaded = VirtualUicc.fromImage(JSON.parse(JSON.stringify(card.toImage())));
    expect(await swOf(secureSession(reloaded, ISD_AID, MNO_ISD_KEYS))).toBe(0x6983);
  });

  it('counts only consecutive failures and honours a configured limit', async () => {
    const card = newCard({ maxFailedAuthentications: 3 });
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    await secureSession(card, ISD_AID, MNO_ISD_KEYS);
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6983');
  });

  it('refuses INITIALIZE UPDATE once the sequence counter is exhausted, and for unknown keysets', () => {
    const image = newCard().toImage();
    const isd = image.registry.find((entry) => entry.kind === 'ISD');
    if (isd?.kind === 'ISD') {
      isd.keysets[0].sequenceCounter = 0xffffff;
    }
    const card = VirtualUicc.fromImage(image);
    expect(sw(card.transmit(buildInitializeUpdate(0x30, Buffer.alloc(8)).toBytes()))).toBe('6985');
    expect(sw(card.transmit(buildInitializeUpdate(0x3f, Buffer.alloc(8)).toBytes()))).toBe('6A88');
    expect(sw(card.transmit(fromHex('805030000401020304')))).toBe('6700');
  });

  it('EXTERNAL AUTHENTICATE without INITIALIZE UPDATE is refused', () => {
    const card = newCard();
    expect(sw(card.transmit(WRONG_EXTERNAL_AUTHENTICATE))).toBe('6985');
  });
});

describe('memory quota', () => {
  async function smallCard(quota: number): Promise<VirtualUicc> {
    const card = newCard({ memoryQuotaBytes: quota });
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    return card;
  }

  it('an INSTALL over quota answers 6A84 and changes nothing', async () => {
    const card = await smallCard(700);
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A);
    const before = card.toImage();
    const request = { loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: JPKI_A, privileges: Privileges.of() };
    expect(await swOf(ssd.installAndMakeSelectable(request))).toBe(0x6a84);
    expect(card.toImage()).toStrictEqual(before);
  });

  it('a key import over quota answers 6A84 and changes nothing', async () => {
    const card = await smallCard(2000);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    await installContentKey(card);
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A);
    const before = card.toImage();
    const [pair] = rsaPool();
    expect(await swOf(ssd.personalize(JPKI_A, buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_A), BER_TLV_ENCRYPTED))).toBe(0x6a84);
    expect(card.toImage()).toStrictEqual(before);
  });

  it('a key write over quota answers 6A84', async () => {
    const card = await smallCard(646);
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A);
    expect(await swOf(ssd.putKeys(SP_KEYS_A.withKvn(0x32)))).toBe(0x6a84);
  });

  it('a LOAD over quota answers 6A84 and registers nothing', async () => {
    const card = await smallCard(1500);
    const pkg = fromHex('A0000005592001');
    const cap = buildCapLoadFile({ packageAid: pkg, version: { major: 1, minor: 0 }, appletAids: [] }, Buffer.alloc(2000, 0x11));
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A);
    expect(await swOf(ssd.loadLoadFile(pkg, cap))).toBe(0x6a84);
    expect(card.toImage().registry.some((entry) => entry.aid === hex(pkg))).toBe(false);
  });
});

describe('LOAD of a load file', () => {
  const pkg = fromHex('A0000005592001');
  const module = fromHex('A000000559200101');
  const instance = fromHex('A00000055920010101');
  const cap = buildCapLoadFile({ packageAid: pkg, version: { major: 1, minor: 2 }, appletAids: [module] }, Buffer.alloc(700, 0x11));

  async function cardWithSsd(): Promise<VirtualUicc> {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    return card;
  }

  it('loads in blocks, installs an instance and deletes both with P2=80', async () => {
    const card = await cardWithSsd();
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC);
    await ssd.loadLoadFile(pkg, cap, { blockSize: 200 });
    const [loaded] = await ssd.getStatus(GetStatusScope.LOAD_FILES_AND_MODULES);
    expect(loaded).toMatchObject({ kind: 'ELF', lifeCycle: 0x01 });
    expect(hex(loaded.version ?? Buffer.alloc(0))).toBe('0102');
    expect(hex(loaded.associatedSdAid ?? Buffer.alloc(0))).toBe(hex(SSD_A));
    await ssd.installAndMakeSelectable({ loadFileAid: pkg, moduleAid: module, applicationAid: instance, privileges: Privileges.of() });
    expect(sw(card.transmit(buildSelect(instance, 0).toBytes()))).toBe('9000');
    expect(sw(card.transmit(fromHex('80100000')))).toBe('6D00');
    const again = await secureSession(card, SSD_A, SP_KEYS_A);
    expect(await swOf(again.delete(pkg))).toBe(0x6985);
    await again.delete(pkg, true);
    expect(card.toImage().registry.some((entry) => entry.aid === hex(pkg) || entry.aid === hex(instance))).toBe(false);
  });

  it('rejects LOAD out of sequence, without INSTALL [for load], or for another package', async () => {
    const card = await cardWithSsd();
    const ssd = await secureSession(card, SSD_A, SP_KEYS_A);
    const blocks = buildLoadCommands(cap, 200);
    expect((await ssd.transmit(blocks[0])).sw).toBe(0x6985);
    await ssd.transmitOk('INSTALL [for load]', buildInstallForLoad({ loadFileAid: pkg }));
    expect((await ssd.transmit(blocks[1])).sw).toBe(0x6a86);
    await ssd.transmitOk('INSTALL [for load]', buildInstallForLoad({ loadFileAid: fromHex('A0000005592099') }));
    for (const block of blocks.slice(0, -1)) {
      await ssd.transmitOk('LOAD', block);
    }
    expect((await ssd.transmit(blocks[blocks.length - 1])).sw).toBe(0x6a80);
    expect(await swOf(ssd.transmitOk('INSTALL [for load]', buildInstallForLoad({ loadFileAid: JpkiAid.LOAD_FILE })))).toBe(0x6a80);
  });

  it('ROM load files cannot be deleted', async () => {
    const card = newCard();
    const isd = await secureSession(card, ISD_AID, MNO_ISD_KEYS);
    expect(await swOf(isd.delete(JpkiAid.LOAD_FILE))).toBe(0x6985);
    expect(await swOf(connect(card).getData(0x66))).toBe(0x6982);
  });
});

describe('content key delivery', () => {
  it('a content key under the wrong DEK fails its KCV with 6982', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    await expect(personalizeApplet(card, buildContentKeyDo(CONTENT_KEY_A, TEMP_KEYS_A.dek))).rejects.toMatchObject({ sw: 0x6982 });
  });
});
