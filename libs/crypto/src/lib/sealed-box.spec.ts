import { generateKeyPairSync } from 'node:crypto';
import { open, seal, SealedBoxError } from './sealed-box';

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
