import { generateKeyPairSync, publicEncrypt, privateDecrypt, constants } from 'node:crypto';
import { fromHex, hex } from '../bytes';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlv } from '../tlv/ber-tlv';
import { buildCertificateDo, buildContentKeyDo, buildPrivateKeyDo, openContentKeyDo, seal, unseal } from './content-protection';
import {
  buildChangeReferenceData,
  buildReadCertificate,
  buildResetRetryCounter,
  buildVerify,
  encodePublicKeyTemplate,
  JpkiAid,
  JpkiTag,
  publicKeyFromTemplate,
} from './jpki-applet-protocol';
import { swOf } from '../../test/sw-of';

const CONTENT_KEY = Buffer.alloc(32, 0x5a);
const DEK = fromHex('202122232425262728292a2b2c2d2e2f');
const AID = JpkiAid.DEFAULT_INSTANCE;


describe('JPKI applet APDUs', () => {
  it('codes the PIN commands', () => {
    expect(buildVerify('1234').toString()).toBe('002000810431323334');
    expect(buildVerify().toString()).toBe('00200081');
    expect(buildChangeReferenceData('5678').toString()).toBe('002401810435363738');
    expect(buildChangeReferenceData('5678', '1234').toString()).toBe('00240081083132333435363738');
    expect(buildResetRetryCounter().toString()).toBe('002C0381');
    expect(() => buildVerify('12a4')).toThrow(SwError);
  });

  it('reads the certificate by SFI, then by offset', () => {
    expect(buildReadCertificate(0).toString()).toBe('00B08A0000');
    expect(buildReadCertificate(0x300).toString()).toBe('00B0030000');
  });

  it('builds the 7F49 template', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const template = encodePublicKeyTemplate(publicKey);
    expect(decodeTlv(template).tag).toBe(JpkiTag.PUBLIC_KEY_TEMPLATE);
    const rebuilt = publicKeyFromTemplate(template);
    const secret = publicEncrypt({ key: rebuilt, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from('x'));
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, secret).toString()).toBe('x');
  });
});

describe('SP end-to-end content protection (item 11)', () => {
  it('delivers the content key as a DEK-encrypted key block with KCV', () => {
    const tlv = decodeTlv(buildContentKeyDo(CONTENT_KEY, DEK));
    expect(tlv.tag).toBe(JpkiTag.CONTENT_KEY);
    expect(hex(openContentKeyDo(tlv.value, DEK))).toBe(hex(CONTENT_KEY));
    expect(swOf(() => openContentKeyDo(tlv.value, Buffer.alloc(16)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => buildContentKeyDo(Buffer.alloc(16), DEK))).toBe(Sw.WRONG_DATA);
  });

  it('seals for one applet and one data object only', () => {
    const secret = Buffer.from('private key bytes');
    const blob = seal(JpkiTag.PRIVATE_KEY, secret, CONTENT_KEY, AID);
    expect(blob.includes(secret)).toBe(false);
    expect(unseal(JpkiTag.PRIVATE_KEY, blob, CONTENT_KEY, AID).toString()).toBe('private key bytes');
    expect(swOf(() => unseal(JpkiTag.CERTIFICATE, blob, CONTENT_KEY, AID))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => unseal(JpkiTag.PRIVATE_KEY, blob, CONTENT_KEY, fromHex('D392F000260100000102')))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => unseal(JpkiTag.PRIVATE_KEY, blob, Buffer.alloc(32), AID))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    const tampered = Buffer.from(blob);
    tampered[20] ^= 1;
    expect(swOf(() => unseal(JpkiTag.PRIVATE_KEY, tampered, CONTENT_KEY, AID))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => unseal(JpkiTag.PRIVATE_KEY, secret, CONTENT_KEY, AID))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('wraps the private key and certificate data objects', () => {
    expect(decodeTlv(buildPrivateKeyDo(Buffer.alloc(40), CONTENT_KEY, AID)).tag).toBe(JpkiTag.PRIVATE_KEY);
    expect(hex(decodeTlv(buildCertificateDo(fromHex('3000'), AID)).value)).toBe('3000');
    const sealed = decodeTlv(buildCertificateDo(fromHex('3000'), AID, CONTENT_KEY)).value;
    expect(hex(unseal(JpkiTag.CERTIFICATE, sealed, CONTENT_KEY, AID))).toBe('3000');
  });
});
