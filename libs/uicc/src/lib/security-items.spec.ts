import { verify as verifySignature } from 'node:crypto';
import {
  buildCapLoadFile,
  buildCertificateDo,
  buildContentKeyDo,
  buildDeleteCardContent,
  buildGenerateKeyPair,
  buildGetData,
  buildGetStatus,
  buildInstallForInstall,
  buildInstallParameters,
  buildPrivateKeyDo,
  buildReadPublicKey,
  buildSelect,
  buildSign,
  buildStoreDataCommands,
  buildVerify,
  buildChangeReferenceData,
  buildInstallForPersonalization,
  CardScript,
  DataObject,
  encodeTlv,
  fromHex,
  GetStatusScope,
  hex,
  JpkiAid,
  jpkiInstallParameters,
  JpkiTag,
  parseCapLoadFile,
  parseGetStatusResponse,
  Privilege,
  Privileges,
  SecurityLevel,
} from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import {
  BER_TLV_ENCRYPTED,
  BER_TLV_PLAIN,
  CERTIFICATE,
  CONTENT_KEY_A,
  createSsd,
  deliverKeyAndCertificate,
  handOver,
  handsetChannel,
  inSession,
  installContentKey,
  installJpki,
  installSsd,
  ISD_AID,
  JPKI_A,
  JPKI_B,
  keySetCommands,
  loadCommands,
  MNO_ISD_KEYS,
  newCard,
  openedSession,
  otaScripts,
  personalization,
  personalizeApplet,
  pkcs8,
  plain,
  provisionedCard,
  rsaPool,
  setLocked,
  SP_KEYS_A,
  SP_KEYS_B,
  SSD_A,
  SSD_B,
  SSD_PARAMETERS,
  sw,
  swOf,
  TEMP_KEYS_A,
  TEMP_KEYS_B,
} from '../test/fixtures';
import { SecurityDomainRecord } from './card-image';
import { JPKI_LOAD_FILE_IMAGE } from './preloaded-content';
import { VirtualUicc } from './virtual-uicc';

async function twoProviders(): Promise<VirtualUicc> {
  const card = await provisionedCard();
  await createSsd(card, SSD_B, TEMP_KEYS_B);
  await handOver(card, SSD_B, TEMP_KEYS_B, SP_KEYS_B);
  await installJpki(card, SSD_B, SP_KEYS_B, JPKI_B);
  return card;
}

function record(card: VirtualUicc, aid: Buffer) {
  return card.toImage().registry.find((entry) => entry.aid === hex(aid));
}

describe('item 1: SP domain creation', () => {
  it('SSD creation is refused without the ISD secure channel', () => {
    const card = newCard();
    expect(sw(card.transmit(installSsd(SSD_A).toBytes()))).toBe('6982');
    expect(record(card, SSD_A)).toBeUndefined();
  });

  it('SSD creation is refused in a session without C-MAC integrity', async () => {
    const card = newCard();
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [installSsd(SSD_A)], { level: SecurityLevel.NO_SECURITY_LEVEL }))).toBe(0x6982);
  });

  it('the ISD secure channel creates the SSD and records its privileges and install parameters', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const ssd = record(card, SSD_A) as SecurityDomainRecord;
    expect(ssd).toMatchObject({ kind: 'SSD', privileges: '804000', installParameters: 'C90481020370', scpOptions: 0x70, lifeCycle: 0x07 });
    expect(ssd.associatedSd).toBe(hex(ISD_AID));
    const isd = await inSession(card, ISD_AID, MNO_ISD_KEYS, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    const [entry] = parseGetStatusResponse(isd.data[0], GetStatusScope.APPLICATIONS);
    expect(entry.privileges?.names()).toEqual(['SecurityDomain', 'AuthorizedManagement']);
  });

  it('an SSD without Authorized Management cannot create security domains', async () => {
    const card = newCard();
    const withoutAuthorizedManagement = installSsd(SSD_A, SSD_PARAMETERS, Privileges.of(Privilege.SecurityDomain));
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [withoutAuthorizedManagement, ...keySetCommands(SSD_A, TEMP_KEYS_A, MNO_ISD_KEYS.dek)]);
    expect(await swOf(inSession(card, SSD_A, TEMP_KEYS_A, [installSsd(SSD_B)]))).toBe(0x6982);
  });

  it('an SSD cannot grant privileges it does not hold', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const privileges = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement, Privilege.CardLock);
    expect(await swOf(inSession(card, SSD_A, TEMP_KEYS_A, [installSsd(SSD_B, SSD_PARAMETERS, privileges)]))).toBe(0x6982);
  });

  it('install parameters naming another SCP are rejected with 6A80', async () => {
    const card = newCard();
    const scp02 = buildInstallParameters({ securityDomain: { scpId: 0x02, i: 0x55 } });
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [installSsd(SSD_A, scp02)]))).toBe(0x6a80);
  });
});

describe('item 2: SP domain isolation', () => {
  it("SSD A's keys cannot DELETE SSD B's applet", async () => {
    const card = await twoProviders();
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(JPKI_B)]))).toBe(0x6982);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(SSD_B, true)]))).toBe(0x6982);
    expect(record(card, JPKI_B)).toBeDefined();
  });

  it("SSD A's keys cannot lock, personalize or open SSD B's content", async () => {
    const card = await twoProviders();
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [setLocked(JPKI_B, true)]))).toBe(0x6982);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildInstallForPersonalization(JPKI_B)]))).toBe(0x6982);
    await expect(inSession(card, SSD_B, SP_KEYS_A, [])).rejects.toThrow('card cryptogram mismatch');
    await expect(inSession(card, JPKI_B, SP_KEYS_A, [])).rejects.toThrow('card cryptogram mismatch');
  });

  it("SSD A's GET STATUS sees only its own sub-hierarchy", async () => {
    const card = await twoProviders();
    const spA = await inSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    const visible = parseGetStatusResponse(spA.data[0], GetStatusScope.APPLICATIONS);
    expect(visible.map((entry) => hex(entry.aid))).toEqual([hex(JPKI_A)]);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.ISSUER_SECURITY_DOMAIN)]))).toBe(0x6982);
  });

  it('ISD cannot read SSD secrets', async () => {
    const card = await twoProviders();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    const secrets = [SP_KEYS_A.enc, SP_KEYS_A.mac, SP_KEYS_A.dek, CONTENT_KEY_A, pkcs8(pair).subarray(-64)];
    const tags = [DataObject.KEY_INFORMATION_TEMPLATE, DataObject.CARD_DATA, DataObject.EXTENDED_CARD_RESOURCES];
    const reads = [...tags.map((tag) => buildGetData(tag)), ...Object.values(GetStatusScope).map((scope) => buildGetStatus(scope))];
    const isd = await inSession(card, ISD_AID, MNO_ISD_KEYS, reads, { level: SecurityLevel.C_MAC_R_MAC });
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildInstallForPersonalization(JPKI_A)]))).toBe(0x6982);
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, keySetCommands(SSD_A, TEMP_KEYS_A, MNO_ISD_KEYS.dek)))).toBe(0x6985);
    const ssdView = await plain(card, [buildSelect(SSD_A), buildGetData(DataObject.KEY_INFORMATION_TEMPLATE)]);
    const all = Buffer.concat([...isd.data, ssdView.data[1]]);
    for (const secret of secrets) {
      expect(all.includes(secret)).toBe(false);
    }
  });

  it('an applet sees only its own store', async () => {
    const card = await twoProviders();
    const a = handsetChannel(card, JPKI_A);
    expect(a.transmit(buildChangeReferenceData('1234')).sw).toBe(0x9000);
    const b = handsetChannel(card, JPKI_B);
    expect(b.transmit(buildVerify('1234')).sw).toBe(0x6984);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    expect(b.transmit(buildReadPublicKey()).sw).toBe(0x6984);
    expect(a.transmit(buildReadPublicKey()).sw).toBe(0x9000);
  });
});

describe('item 3: SP domain key rules', () => {
  it('temporary SSD keyset is useless after PUT KEY', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    expect(await swOf(inSession(card, SSD_A, TEMP_KEYS_A, [], { level: SecurityLevel.C_MAC }))).toBe(0x6a88);
    const firstKeyset = new CardScript();
    firstKeyset.select(SSD_A);
    firstKeyset.initializeUpdate(SSD_A, TEMP_KEYS_A, { kvn: 0 });
    await expect(firstKeyset.run(otaScripts(card))).rejects.toThrow('KVN');
    await expect(inSession(card, SSD_A, SP_KEYS_A, [])).resolves.toBeDefined();
  });

  it('replacing the keyset under the same KVN also locks the old keys out and restarts the sequence counter', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const sameKvn = SP_KEYS_A.withKvn(TEMP_KEYS_A.kvn);
    await handOver(card, SSD_A, TEMP_KEYS_A, sameKvn);
    await expect(inSession(card, SSD_A, TEMP_KEYS_A, [])).rejects.toThrow('card cryptogram mismatch');
    const script = new CardScript();
    script.select(SSD_A);
    const authenticated = script.initializeUpdate(SSD_A, sameKvn);
    await script.run(otaScripts(card));
    expect(authenticated.sequenceCounter).toBe(2);
  });

  it('the SP keyset is scoped to its own SD', async () => {
    const card = await twoProviders();
    expect(await swOf(inSession(card, ISD_AID, SP_KEYS_A, []))).toBe(0x6a88);
    await expect(inSession(card, SSD_B, SP_KEYS_A, [])).rejects.toThrow('card cryptogram mismatch');
    const install = buildInstallForInstall({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: fromHex('D392F000260100000199'), privileges: Privileges.of() });
    await inSession(card, SSD_A, SP_KEYS_A, [install]);
    expect(record(card, fromHex('D392F000260100000199'))?.associatedSd).toBe(hex(SSD_A));
  });
});

describe('item 4: SP domain deletion', () => {
  it('deleting an SSD removes its keys, applets and applet data', async () => {
    const card = newCard();
    const [freeBefore] = (await plain(card, [buildGetData(DataObject.EXTENDED_CARD_RESOURCES)])).data;
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(SSD_A)]))).toBe(0x6985);
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(SSD_A, true)]);
    const image = JSON.stringify(card.toImage());
    for (const secret of [SP_KEYS_A.enc, CONTENT_KEY_A, pkcs8(pair).subarray(-64), CERTIFICATE.subarray(-32)]) {
      expect(image.includes(hex(secret))).toBe(false);
    }
    expect(record(card, SSD_A)).toBeUndefined();
    expect(record(card, JPKI_A)).toBeUndefined();
    expect(sw(card.transmit(buildSelect(SSD_A).toBytes()))).toBe('6A82');
    const view = await plain(card, [buildSelect(ISD_AID), buildGetData(DataObject.EXTENDED_CARD_RESOURCES)]);
    expect(hex(view.data[1])).toBe(hex(freeBefore));
  });

  it('only the owner or the ISD deletes: an SSD cannot delete itself or another SSD', async () => {
    const card = await twoProviders();
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(SSD_A, true)]))).toBe(0x6982);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(SSD_B, true)]))).toBe(0x6982);
    await inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(JPKI_A)]);
    expect(record(card, JPKI_A)).toBeUndefined();
  });

  it('on loss the MNO locks the SP domain with its applets (SET STATUS 60) and unlocks it when found', async () => {
    const card = await provisionedCard();
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [setLocked(SSD_A, true, true)]);
    expect(record(card, SSD_A)?.lifeCycle).toBe(0x87);
    expect(record(card, JPKI_A)?.lifeCycle).toBe(0x87);
    expect(sw(card.transmit(buildSelect(JPKI_A, 0).toBytes()))).toBe('6A82');
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [setLocked(SSD_A, false, true)]);
    expect(sw(card.transmit(buildSelect(JPKI_A, 0).toBytes()))).toBe('9000');
  });

  it('refuses to delete what another logical channel has selected', async () => {
    const card = await provisionedCard();
    handsetChannel(card, JPKI_A);
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(SSD_A, true)]))).toBe(0x6985);
    card.reset();
    await inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(SSD_A, true)]);
  });
});

describe('item 5: applet registration', () => {
  it('install only with the SD authority, and the instance is associated with that SD', async () => {
    const card = await provisionedCard();
    const command = buildInstallForInstall({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: JPKI_B, privileges: Privileges.of() });
    expect(sw(card.transmit(command.toBytes()))).toBe('6982');
    expect(await swOf(plain(card, [buildSelect(SSD_A), command]))).toBe(0x6982);
    const spA = await inSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    const [entry] = parseGetStatusResponse(spA.data[0], GetStatusScope.APPLICATIONS);
    expect(hex(entry.associatedSdAid ?? Buffer.alloc(0))).toBe(hex(SSD_A));
    expect(hex(entry.loadFileAid ?? Buffer.alloc(0))).toBe(hex(JpkiAid.LOAD_FILE));
  });

  it('install parameters are recorded, and a JPKI instance takes its key role from them', async () => {
    const card = await provisionedCard();
    const install = (installParameters: Buffer) =>
      inSession(card, SSD_A, SP_KEYS_A, [
        buildInstallForInstall({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: JPKI_B, privileges: Privileges.of(), installParameters }),
      ]);
    expect(await swOf(install(buildInstallParameters({ applicationSpecific: fromHex('0102') })))).toBe(0x6a80);
    expect(card.toImage().registry.some((entry) => entry.aid === hex(JPKI_B))).toBe(false);
    await install(jpkiInstallParameters('signing'));
    expect(record(card, JPKI_B)).toMatchObject({ installParameters: 'C90102', privileges: '000000', lifeCycle: 0x07, jpki: { role: 'signing', pinTriesRemaining: 5 } });
  });

  it("an SD cannot instantiate another SP's load file", async () => {
    const card = await twoProviders();
    const pkg = fromHex('A00000055920');
    await inSession(card, SSD_B, SP_KEYS_B, loadCommands(pkg, buildCapLoadFile({ packageAid: pkg, version: { major: 1, minor: 0 }, appletAids: [fromHex('A0000005592001')] })));
    const command = buildInstallForInstall({ loadFileAid: pkg, moduleAid: fromHex('A0000005592001'), applicationAid: fromHex('A000000559200101'), privileges: Privileges.of() });
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [command]))).toBe(0x6982);
  });
});

describe('items 6 and 10: secure messaging on the card', () => {
  it('a tampered C-MAC is rejected with 6982 and aborts the session', async () => {
    const card = await provisionedCard();
    const spA = await openedSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.APPLICATIONS), buildGetStatus(GetStatusScope.APPLICATIONS)], {
      level: SecurityLevel.C_MAC,
    });
    const [wrapped, next] = spA.wrapped;
    wrapped[wrapped.length - 2] ^= 0x01;
    expect(sw(card.transmit(wrapped))).toBe('6982');
    expect(sw(card.transmit(next))).toBe('6982');
    expect(sw(card.transmit(buildGetStatus(GetStatusScope.APPLICATIONS).toBytes()))).toBe('6982');
  });

  it('a replayed wrapped command is rejected', async () => {
    const card = await provisionedCard();
    const [first] = (await openedSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.APPLICATIONS)])).wrapped;
    expect(sw(card.transmit(first))).toBe('9000');
    expect(sw(card.transmit(first))).toBe('6982');
  });

  it('a command below the session security level is rejected', async () => {
    const card = await provisionedCard();
    await inSession(card, SSD_A, SP_KEYS_A, [], { level: SecurityLevel.C_DECRYPTION_C_MAC });
    expect(sw(card.transmit(buildGetStatus(GetStatusScope.APPLICATIONS).toBytes()))).toBe('6982');
  });

  it('C-ENC keeps command data confidential on the OTA path', async () => {
    const card = await provisionedCard();
    const certificate = encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE);
    const { wrapped } = await openedSession(card, SSD_A, SP_KEYS_A, buildStoreDataCommands(certificate, BER_TLV_PLAIN), { level: SecurityLevel.C_DECRYPTION_C_MAC });
    expect(Buffer.concat(wrapped).includes(CERTIFICATE.subarray(0, 64))).toBe(false);
  });

  it('R-MAC and R-ENC protect responses end to end', async () => {
    const card = await provisionedCard();
    const spA = await openedSession(card, SSD_A, SP_KEYS_A, [buildGetStatus(GetStatusScope.APPLICATIONS)], { level: SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC });
    const raw = card.transmit(spA.wrapped[0]);
    expect(raw.includes(JPKI_A)).toBe(false);
    const { data } = await spA.check([raw]);
    expect(data[0].includes(JPKI_A)).toBe(true);
  });

  it('item 10: a replayed or tampered key delivery is rejected', async () => {
    const card = await provisionedCard();
    await installContentKey(card);
    const [pair] = rsaPool();
    const delivery = personalization(JPKI_A, buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_A), BER_TLV_ENCRYPTED);
    const [installForPersonalization, firstBlock] = (await openedSession(card, SSD_A, SP_KEYS_A, delivery)).wrapped;
    expect(sw(card.transmit(installForPersonalization))).toBe('9000');
    const tampered = Buffer.from(firstBlock);
    tampered[10] ^= 0x01;
    expect(sw(card.transmit(tampered))).toBe('6982');
    const fresh = await openedSession(card, SSD_A, SP_KEYS_A, delivery);
    expect(fresh.wrapped.map((command) => sw(card.transmit(command)))).toEqual(delivery.map(() => '9000'));
    expect(sw(card.transmit(firstBlock))).toBe('6982');
  });
});

describe('item 7: applet initial data', () => {
  it('the applet load file carries no secret and is the same on every card', async () => {
    const card = await provisionedCard();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    const handset = handsetChannel(card);
    handset.transmit(buildChangeReferenceData('4321'));
    const loadFile = record(card, JpkiAid.LOAD_FILE);
    expect(loadFile).toMatchObject({ kind: 'ELF', preloaded: true, image: hex(JPKI_LOAD_FILE_IMAGE) });
    expect(record(newCard(), JpkiAid.LOAD_FILE)).toEqual(loadFile);
    const image = JPKI_LOAD_FILE_IMAGE;
    for (const secret of [SP_KEYS_A.dek, CONTENT_KEY_A, pkcs8(pair).subarray(-64), Buffer.from('4321'), MNO_ISD_KEYS.enc]) {
      expect(image.includes(secret)).toBe(false);
    }
    expect(parseCapLoadFile(image).appletAids.map((aid) => hex(aid))).toEqual([hex(JpkiAid.MODULE)]);
  });
});

describe('item 8: applet deletion', () => {
  it('deleting the applet destroys its key material; a new instance starts empty', async () => {
    const card = await provisionedCard();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    await inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(JPKI_A)]);
    const image = JSON.stringify(card.toImage());
    expect(image.includes(hex(pkcs8(pair).subarray(-64)))).toBe(false);
    expect(image.includes(hex(CONTENT_KEY_A))).toBe(false);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    const handset = handsetChannel(card);
    expect(handset.transmit(buildReadPublicKey()).sw).toBe(0x6984);
  });

  it('only the associated SD deletes the applet', async () => {
    const card = await twoProviders();
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(JPKI_A)]))).toBe(0x6982);
  });
});

describe('item 9: private-key write', () => {
  it('key write needs the key-level access condition', async () => {
    const card = await provisionedCard();
    const contentKey = buildContentKeyDo(CONTENT_KEY_A, SP_KEYS_A.dek);
    await expect(personalizeApplet(card, contentKey, { level: SecurityLevel.C_MAC_R_MAC })).rejects.toMatchObject({ sw: 0x6982 });
    await installContentKey(card);
    const [pair] = rsaPool();
    const sealed = buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_A);
    await expect(personalizeApplet(card, sealed, { level: SecurityLevel.C_MAC })).rejects.toMatchObject({ sw: 0x6982 });
    await personalizeApplet(card, sealed, { level: SecurityLevel.C_DECRYPTION_C_MAC_R_MAC });
  });

  it('certificate write works at the lower C-MAC level (on-card generated key, no content key)', async () => {
    const card = await provisionedCard();
    await inSession(card, SSD_A, SP_KEYS_A, [buildGenerateKeyPair()], { level: SecurityLevel.C_MAC, aid: JPKI_A, long: true });
    await personalizeApplet(card, encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE), { level: SecurityLevel.C_MAC, flags: BER_TLV_PLAIN });
    expect(card.toImage().registry.some((entry) => entry.kind === 'APP' && entry.jpki?.certificate === hex(CERTIFICATE))).toBe(true);
  });

  it('keys are written only through the SP domain channel', async () => {
    const card = await provisionedCard();
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildInstallForPersonalization(JPKI_A)]))).toBe(0x6982);
    const handset = handsetChannel(card);
    expect(handset.transmit(buildGenerateKeyPair()).sw).toBe(0x6982);
    expect(handset.transmit(buildStoreDataCommands(Buffer.alloc(4), BER_TLV_PLAIN)[0]).sw).toBe(0x6e00);
  });
});

describe("item 11: SP's own measures (end-to-end content protection)", () => {
  it('key import without the SP content-key wrapping is rejected even with a valid SCP03 channel', async () => {
    const card = await provisionedCard();
    const [pair, other] = rsaPool();
    const raw = encodeTlv(JpkiTag.PRIVATE_KEY, pkcs8(pair));
    await expect(personalizeApplet(card, raw)).rejects.toMatchObject({ sw: 0x6985 });
    await installContentKey(card);
    await expect(personalizeApplet(card, raw)).rejects.toMatchObject({ sw: 0x6982 });
    const wrongKey = buildPrivateKeyDo(pkcs8(pair), Buffer.alloc(32, 1), JPKI_A);
    await expect(personalizeApplet(card, wrongKey)).rejects.toMatchObject({ sw: 0x6982 });
    const otherApplet = buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_B);
    await expect(personalizeApplet(card, otherApplet)).rejects.toMatchObject({ sw: 0x6982 });
    expect(card.toImage().registry.some((entry) => entry.kind === 'APP' && entry.jpki?.privateKey)).toBe(false);
    await personalizeApplet(card, buildPrivateKeyDo(pkcs8(other), CONTENT_KEY_A, JPKI_A));
    await personalizeApplet(card, buildCertificateDo(CERTIFICATE, JPKI_A, CONTENT_KEY_A));
    const handset = handsetChannel(card);
    handset.transmitOk('set PIN', buildChangeReferenceData('2468'));
    handset.transmitOk('VERIFY', buildVerify('2468'));
    const signature = handset.transmitOk('SIGN', buildSign(sha256DigestInfo(Buffer.from('challenge'))));
    expect(verifySignature('sha256', Buffer.from('challenge'), other.publicKey, signature)).toBe(true);
  });

  it('once a content key exists, the certificate must be sealed too', async () => {
    const card = await provisionedCard();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    await expect(personalizeApplet(card, encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE))).rejects.toMatchObject({ sw: 0x6982 });
  });
});
