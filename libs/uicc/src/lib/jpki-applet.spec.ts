import { verify as verifySignature } from 'node:crypto';
import {
  buildChangeReferenceData,
  buildGenerateKeyPair,
  buildManageChannelOpen,
  buildProofOfPossession,
  buildReadCertificate,
  buildReadPublicKey,
  buildResetRetryCounter,
  buildSelect,
  buildSign,
  buildVerify,
  CommandApdu,
  encodeTlv,
  GpSession,
  hex,
  JpkiTag,
  publicKeyFromTemplate,
  SecurityLevel,
} from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import {
  appletSession,
  BER_TLV_PLAIN,
  CERTIFICATE,
  deliverKeyAndCertificate,
  handsetChannel,
  JPKI_A,
  personalizeApplet,
  pkcs8,
  provisionedCard,
  rsaPool,
  secureSession,
  SP_KEYS_A,
  SSD_A,
  sw,
  swOf,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const DIGEST_INFO = sha256DigestInfo(Buffer.from('relying party challenge'));

async function cardWithPin(pin = '1234'): Promise<VirtualUicc> {
  const card = await provisionedCard();
  const handset = await handsetChannel(card);
  await handset.transmitOk('set initial PIN', buildChangeReferenceData(pin));
  return card;
}

/** The handset's raw APDUs on logical channel 1 after SELECT. */
function onChannel1(card: VirtualUicc, command: CommandApdu): string {
  return sw(card.transmit(command.with({ cla: command.cla | 0x01 }).toBytes()));
}

/** Power cycle, then the handset opens logical channel 1 and selects the applet. */
function freshHandsetChannel(card: VirtualUicc): void {
  card.reset();
  expect(hex(card.transmit(buildManageChannelOpen().toBytes()))).toBe('019000');
  expect(sw(card.transmit(buildSelect(JPKI_A, 1).toBytes()))).toBe('9000');
}

describe('JPKI applet: PIN', () => {
  it('reports 6984 before a PIN is set and sets the initial PIN once', async () => {
    const card = await provisionedCard();
    const handset = await handsetChannel(card);
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x6984);
    expect((await handset.transmit(buildVerify())).sw).toBe(0x6984);
    expect((await handset.transmit(buildChangeReferenceData('1234'))).sw).toBe(0x9000);
    expect((await handset.transmit(buildChangeReferenceData('9999'))).sw).toBe(0x6985);
    expect((await handset.transmit(buildVerify())).sw).toBe(0x63c3);
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x9000);
    expect((await handset.transmit(buildVerify())).sw).toBe(0x9000);
  });

  it('counts down 63C2, 63C1, then 6983, and survives toImage/fromImage and reset', async () => {
    const card = await cardWithPin();
    freshHandsetChannel(card);
    expect(onChannel1(card, buildVerify('0000'))).toBe('63C2');
    const reloaded = VirtualUicc.fromImage(JSON.parse(JSON.stringify(card.toImage())));
    freshHandsetChannel(reloaded);
    expect(onChannel1(reloaded, buildVerify('0000'))).toBe('63C1');
    freshHandsetChannel(reloaded);
    expect(onChannel1(reloaded, buildVerify())).toBe('63C1');
    expect(onChannel1(reloaded, buildVerify('0000'))).toBe('6983');
    expect(onChannel1(reloaded, buildVerify('1234'))).toBe('6983');
    freshHandsetChannel(reloaded);
    expect(onChannel1(reloaded, buildVerify('1234'))).toBe('6983');
  });

  it('a correct PIN restores the tries; malformed PINs do not count', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    expect((await handset.transmit(buildVerify('0000'))).sw).toBe(0x63c2);
    expect((await handset.transmit(new CommandApdu(0x00, 0x20, 0x00, 0x81, Buffer.from('12a4')))).sw).toBe(0x6a80);
    expect((await handset.transmit(new CommandApdu(0x00, 0x20, 0x00, 0x82, Buffer.from('1234')))).sw).toBe(0x6a88);
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x9000);
    expect((await handset.transmit(buildVerify('0000'))).sw).toBe(0x63c2);
  });

  it('CHANGE REFERENCE DATA checks the old PIN against the retry counter', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    expect((await handset.transmit(buildChangeReferenceData('5678', '0000'))).sw).toBe(0x63c2);
    expect((await handset.transmit(buildChangeReferenceData('5678', '1234'))).sw).toBe(0x9000);
    expect((await handset.transmit(buildVerify('5678'))).sw).toBe(0x9000);
  });

  it('RESET RETRY COUNTER works only through the associated SSD secure channel', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    for (const expected of [0x63c2, 0x63c1, 0x6983]) {
      expect((await handset.transmit(buildVerify('0000'))).sw).toBe(expected);
    }
    expect((await handset.transmit(buildResetRetryCounter())).sw).toBe(0x6982);
    const sp = await appletSession(card);
    await sp.transmitOk('RESET RETRY COUNTER', buildResetRetryCounter());
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x9000);
    await sp.transmitOk('RESET RETRY COUNTER with new PIN', buildResetRetryCounter('7777'));
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x63c2);
    expect((await handset.transmit(buildVerify('7777'))).sw).toBe(0x9000);
  });
});

describe('JPKI applet: keys and signatures', () => {
  it('generates RSA-2048 on card through the SSD channel and proves possession for the CSR', async () => {
    const card = await cardWithPin();
    const sp = await appletSession(card);
    const template = await sp.transmitOk('GENERATE', buildGenerateKeyPair());
    const publicKey = publicKeyFromTemplate(template);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const csrInfo = Buffer.from('CertificationRequestInfo DER');
    const pop = await sp.transmitOk('PoP', buildProofOfPossession(sha256DigestInfo(csrInfo)));
    expect(verifySignature('sha256', csrInfo, publicKey, pop)).toBe(true);
    const handset = await handsetChannel(card);
    expect(hex(await handset.transmitOk('read public key', buildReadPublicKey()))).toBe(hex(template));
    expect((await handset.transmit(buildProofOfPossession(DIGEST_INFO))).sw).toBe(0x6982);
  });

  it('the proof of possession ends once a certificate is written', async () => {
    const card = await cardWithPin();
    const sp = await appletSession(card);
    await sp.transmitOk('GENERATE', buildGenerateKeyPair());
    await personalizeApplet(card, encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE), { level: SecurityLevel.C_MAC, flags: BER_TLV_PLAIN });
    const again = await appletSession(card);
    expect((await again.transmit(buildProofOfPossession(DIGEST_INFO))).sw).toBe(0x6985);
  });

  it('signs a SHA-256 DigestInfo only after VERIFY in the same selection', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    expect((await handset.transmit(buildSign(DIGEST_INFO))).sw).toBe(0x6984);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    const sp = await appletSession(card);
    await sp.transmitOk('GENERATE', buildGenerateKeyPair());
    expect((await handset.transmit(buildSign(DIGEST_INFO))).sw).toBe(0x6985);
    await deliverKeyAndCertificate(card, pair);
    expect((await handset.transmit(buildSign(DIGEST_INFO))).sw).toBe(0x6982);
    await handset.transmitOk('VERIFY', buildVerify('1234'));
    expect((await handset.transmit(buildSign(Buffer.alloc(51)))).sw).toBe(0x6a80);
    const signature = await handset.transmitOk('SIGN', buildSign(DIGEST_INFO));
    expect(verifySignature('sha256', Buffer.from('relying party challenge'), pair.publicKey, signature)).toBe(true);
    await handset.select(JPKI_A);
    expect((await handset.transmit(buildSign(DIGEST_INFO))).sw).toBe(0x6982);
  });

  it('never returns the private key', async () => {
    const card = await cardWithPin();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    const handset = await handsetChannel(card);
    const secret = pkcs8(pair).subarray(-48);
    const responses: Buffer[] = [];
    for (let p1 = 0; p1 < 0x100; p1 += 0x11) {
      for (const ins of [0xb0, 0xca, 0xcb, 0x47, 0xb2, 0xc0]) {
        responses.push(card.transmit(Buffer.from([0x01, ins, p1, 0x00, 0x00])));
      }
    }
    responses.push((await handset.transmit(buildReadPublicKey())).data);
    expect(Buffer.concat(responses).includes(secret)).toBe(false);
  });
});

describe('JPKI applet: certificate', () => {
  it('reads the certificate over any channel with READ BINARY', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    expect((await handset.transmit(buildReadCertificate(0))).sw).toBe(0x6985);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    expect((await handset.transmit(buildReadCertificate(0x300))).sw).toBe(0x6986);
    const parts: Buffer[] = [];
    for (let offset = 0; offset < CERTIFICATE.length; offset += 256) {
      parts.push(await handset.transmitOk('READ BINARY', buildReadCertificate(offset)));
    }
    expect(hex(Buffer.concat(parts))).toBe(hex(CERTIFICATE));
    expect((await handset.transmit(buildReadCertificate(CERTIFICATE.length))).sw).toBe(0x6b00);
    expect((await handset.transmit(new CommandApdu(0x00, 0xb0, 0x81, 0x00, Buffer.alloc(0), 256))).sw).toBe(0x6a82);
  });

  it('a LOCKED applet cannot be selected and refuses commands on open channels', async () => {
    const card = await cardWithPin();
    const handset = await handsetChannel(card);
    const sp = await secureSession(card, SSD_A, SP_KEYS_A, SecurityLevel.C_MAC);
    await sp.lock(JPKI_A);
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x6985);
    const other = await GpSession.openLogicalChannel(async (command) => card.transmit(command));
    expect(await swOf(other.select(JPKI_A))).toBe(0x6a82);
    await sp.unlock(JPKI_A);
    expect((await handset.transmit(buildVerify('1234'))).sw).toBe(0x9000);
  });
});
