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
  hex,
  JpkiTag,
  publicKeyFromTemplate,
  SecurityLevel,
} from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import {
  BER_TLV_PLAIN,
  CERTIFICATE,
  deliverKeyAndCertificate,
  HandsetChannel,
  handsetChannel,
  inApplet,
  inSession,
  JPKI_A,
  personalizeApplet,
  pkcs8,
  provisionedCard,
  rsaPool,
  setLocked,
  SP_KEYS_A,
  SSD_A,
  sw,
  swOf,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const DIGEST_INFO = sha256DigestInfo(Buffer.from('relying party challenge'));

async function cardWithPin(pin = '1234'): Promise<VirtualUicc> {
  const card = await provisionedCard();
  const handset = handsetChannel(card);
  handset.transmitOk('set initial PIN', buildChangeReferenceData(pin));
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
    const handset = handsetChannel(card);
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x6984);
    expect(handset.transmit(buildVerify()).sw).toBe(0x6984);
    expect(handset.transmit(buildChangeReferenceData('1234')).sw).toBe(0x9000);
    expect(handset.transmit(buildChangeReferenceData('9999')).sw).toBe(0x6985);
    expect(handset.transmit(buildVerify()).sw).toBe(0x63c3);
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x9000);
    expect(handset.transmit(buildVerify()).sw).toBe(0x9000);
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
    const handset = handsetChannel(card);
    expect(handset.transmit(buildVerify('0000')).sw).toBe(0x63c2);
    expect(handset.transmit(new CommandApdu(0x00, 0x20, 0x00, 0x81, Buffer.from('12a4'))).sw).toBe(0x6a80);
    expect(handset.transmit(new CommandApdu(0x00, 0x20, 0x00, 0x82, Buffer.from('1234'))).sw).toBe(0x6a88);
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x9000);
    expect(handset.transmit(buildVerify('0000')).sw).toBe(0x63c2);
  });

  it('CHANGE REFERENCE DATA checks the old PIN against the retry counter', async () => {
    const card = await cardWithPin();
    const handset = handsetChannel(card);
    expect(handset.transmit(buildChangeReferenceData('5678', '0000')).sw).toBe(0x63c2);
    expect(handset.transmit(buildChangeReferenceData('5678', '1234')).sw).toBe(0x9000);
    expect(handset.transmit(buildVerify('5678')).sw).toBe(0x9000);
  });

  it('RESET RETRY COUNTER works only through the associated SSD secure channel', async () => {
    const card = await cardWithPin();
    const handset = handsetChannel(card);
    for (const expected of [0x63c2, 0x63c1, 0x6983]) {
      expect(handset.transmit(buildVerify('0000')).sw).toBe(expected);
    }
    expect(handset.transmit(buildResetRetryCounter()).sw).toBe(0x6982);
    await inApplet(card, [buildResetRetryCounter()]);
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x9000);
    await inApplet(card, [buildResetRetryCounter('7777')]);
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x63c2);
    expect(handset.transmit(buildVerify('7777')).sw).toBe(0x9000);
  });
});

describe('JPKI applet: keys and signatures', () => {
  it('generates RSA-2048 on card through the SSD channel and proves possession for the CSR', async () => {
    const card = await cardWithPin();
    const [template] = (await inApplet(card, [buildGenerateKeyPair()], { long: true })).data;
    const publicKey = publicKeyFromTemplate(template);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const csrInfo = Buffer.from('CertificationRequestInfo DER');
    const [pop] = (await inApplet(card, [buildProofOfPossession(sha256DigestInfo(csrInfo))], { long: true })).data;
    expect(verifySignature('sha256', csrInfo, publicKey, pop)).toBe(true);
    const handset = handsetChannel(card);
    expect(hex(handset.transmitOk('read public key', buildReadPublicKey()))).toBe(hex(template));
    expect(handset.transmit(buildProofOfPossession(DIGEST_INFO)).sw).toBe(0x6982);
  });

  it('the proof of possession ends once a certificate is written', async () => {
    const card = await cardWithPin();
    await inApplet(card, [buildGenerateKeyPair()], { long: true });
    await personalizeApplet(card, encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE), { level: SecurityLevel.C_MAC, flags: BER_TLV_PLAIN });
    expect(await swOf(inApplet(card, [buildProofOfPossession(DIGEST_INFO)], { long: true }))).toBe(0x6985);
  });

  it('signs a SHA-256 DigestInfo only after VERIFY in the same selection', async () => {
    const card = await cardWithPin();
    const handset = handsetChannel(card);
    expect(handset.transmit(buildSign(DIGEST_INFO)).sw).toBe(0x6984);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    await inApplet(card, [buildGenerateKeyPair()], { long: true });
    expect(handset.transmit(buildSign(DIGEST_INFO)).sw).toBe(0x6985);
    await deliverKeyAndCertificate(card, pair);
    expect(handset.transmit(buildSign(DIGEST_INFO)).sw).toBe(0x6982);
    handset.transmitOk('VERIFY', buildVerify('1234'));
    expect(handset.transmit(buildSign(Buffer.alloc(51))).sw).toBe(0x6a80);
    const signature = handset.transmitOk('SIGN', buildSign(DIGEST_INFO));
    expect(verifySignature('sha256', Buffer.from('relying party challenge'), pair.publicKey, signature)).toBe(true);
    handset.transmitOk('SELECT', buildSelect(JPKI_A));
    expect(handset.transmit(buildSign(DIGEST_INFO)).sw).toBe(0x6982);
  });

  it('never returns the private key', async () => {
    const card = await cardWithPin();
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    const handset = handsetChannel(card);
    const secret = pkcs8(pair).subarray(-48);
    const responses: Buffer[] = [];
    for (let p1 = 0; p1 < 0x100; p1 += 0x11) {
      for (const ins of [0xb0, 0xca, 0xcb, 0x47, 0xb2, 0xc0]) {
        responses.push(card.transmit(Buffer.from([0x01, ins, p1, 0x00, 0x00])));
      }
    }
    responses.push(handset.transmit(buildReadPublicKey()).data);
    expect(Buffer.concat(responses).includes(secret)).toBe(false);
  });
});

describe('JPKI applet: certificate', () => {
  it('reads the certificate over any channel with READ BINARY', async () => {
    const card = await cardWithPin();
    const handset = handsetChannel(card);
    expect(handset.transmit(buildReadCertificate(0)).sw).toBe(0x6985);
    const [pair] = rsaPool();
    await deliverKeyAndCertificate(card, pair);
    expect(handset.transmit(buildReadCertificate(0x300)).sw).toBe(0x6986);
    const parts: Buffer[] = [];
    for (let offset = 0; offset < CERTIFICATE.length; offset += 256) {
      parts.push(handset.transmitOk('READ BINARY', buildReadCertificate(offset)));
    }
    expect(hex(Buffer.concat(parts))).toBe(hex(CERTIFICATE));
    expect(handset.transmit(buildReadCertificate(CERTIFICATE.length)).sw).toBe(0x6b00);
    expect(handset.transmit(new CommandApdu(0x00, 0xb0, 0x81, 0x00, Buffer.alloc(0), 256)).sw).toBe(0x6a82);
  });

  it('a LOCKED applet cannot be selected and refuses commands on open channels', async () => {
    const card = await cardWithPin();
    const handset = handsetChannel(card);
    await inSession(card, SSD_A, SP_KEYS_A, [setLocked(JPKI_A, true)], { level: SecurityLevel.C_MAC });
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x6985);
    expect(HandsetChannel.open(card).transmit(buildSelect(JPKI_A)).sw).toBe(0x6a82);
    await inSession(card, SSD_A, SP_KEYS_A, [setLocked(JPKI_A, false)], { level: SecurityLevel.C_MAC });
    expect(handset.transmit(buildVerify('1234')).sw).toBe(0x9000);
  });
});
