import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { open, seal, SealedBoxError, sealedBoxRecipientKey } from './sealed-box';

describe('sealed box (ECDH-ES + AES-256-GCM)', () => {
  const sp = generateKeyPairSync('x25519');
  const mno = generateKeyPairSync('x25519');
  const secret = Buffer.from(JSON.stringify({ kvn: 0x30, enc: '404142434445464748494a4b4c4d4e4f' }));

  it('opens for the recipient with the same purpose', () => {
    const box = seal('sp-tsm', sp.publicKey, secret, 'ssd-keyset/8981');
    expect(JSON.stringify(box)).not.toContain('404142');
    expect(open(box, 'sp-tsm', sp.privateKey, 'ssd-keyset/8981')).toEqual(secret);
  });

  it('does not open with another private key, another purpose, or after tampering', () => {
    const box = seal('sp-tsm', sp.publicKey, secret, 'ssd-keyset/8981');
    expect(() => open(box, 'sp-tsm', mno.privateKey, 'ssd-keyset/8981')).toThrow(SealedBoxError);
    expect(() => open(box, 'sp-tsm', sp.privateKey, 'ssd-keyset/8982')).toThrow(SealedBoxError);
    expect(() => open(box, 'mno-tsm', sp.privateKey, 'ssd-keyset/8981')).toThrow('not mno-tsm');
    const ct = Buffer.from(box.ciphertext, 'base64');
    ct[0] ^= 0x80;
    expect(() => open({ ...box, ciphertext: ct.toString('base64') }, 'sp-tsm', sp.privateKey, 'ssd-keyset/8981')).toThrow(SealedBoxError);
  });

  it('uses a fresh ephemeral key every time', () => {
    const a = seal('sp-tsm', sp.publicKey, secret, 'x');
    const b = seal('sp-tsm', sp.publicKey, secret, 'x');
    expect(a.epk).not.toBe(b.epk);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });
});

describe('sealed box to a device-held P-256 key (iPhone, CA-generated keys)', () => {
  const device = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spTsmTransport = generateKeyPairSync('x25519');
  const pkcs8 = Buffer.from('30818702010030130607 pretend PKCS#8 of the CA-generated key', 'utf8');
  const recipient = 'iphone:IPHONE-0001';
  const aad = 'delivered-key/enr-1:issuance';

  it('uses a P-256 ephemeral key and opens only with the device key', () => {
    const box = seal(recipient, sealedBoxRecipientKey(device.publicKey.export({ format: 'der', type: 'spki' })), pkcs8, aad);
    const epk = createPublicKey({ key: Buffer.from(box.epk, 'base64'), format: 'der', type: 'spki' });
    expect(epk.asymmetricKeyType).toBe('ec');
    expect(epk.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Buffer.from(box.ciphertext, 'base64').includes(Buffer.from('pretend'))).toBe(false);
    expect(open(box, recipient, device.privateKey, aad)).toEqual(pkcs8);
  });

  it('cannot be opened by a service transport key (the SP-TSM forwarding it), another device or another purpose', () => {
    const box = seal(recipient, device.publicKey, pkcs8, aad);
    expect(() => open(box, recipient, spTsmTransport.privateKey, aad)).toThrow(SealedBoxError);
    expect(() => open(box, recipient, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, aad)).toThrow(SealedBoxError);
    expect(() => open(box, recipient, device.privateKey, 'delivered-key/other')).toThrow(SealedBoxError);
    const tag = Buffer.from(box.tag, 'base64');
    tag[0] ^= 1;
    expect(() => open({ ...box, tag: tag.toString('base64') }, recipient, device.privateKey, aad)).toThrow(SealedBoxError);
  });

  it('refuses recipient keys on other curves or of other kinds', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    expect(() => seal(recipient, p384, pkcs8, aad)).toThrow(/X25519 or P-256 only/);
    expect(() => sealedBoxRecipientKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }))).toThrow(SealedBoxError);
    expect(() => sealedBoxRecipientKey('bm90IGEga2V5')).toThrow(/SubjectPublicKeyInfo/);
    expect(() => seal(recipient, device.privateKey, pkcs8, aad)).toThrow(/public key/);
  });

  it('X25519 service boxes are unchanged (X25519 ephemeral key)', () => {
    const box = seal('sp-tsm', spTsmTransport.publicKey, pkcs8, aad);
    expect(createPublicKey({ key: Buffer.from(box.epk, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('x25519');
    expect(open(box, 'sp-tsm', spTsmTransport.privateKey, aad)).toEqual(pkcs8);
  });
});
