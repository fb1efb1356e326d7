import { randomBytes } from 'node:crypto';
import { AtRestCipher, AtRestDecryptionError } from './at-rest-cipher';

const spec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('AtRestCipher', () => {
  const cipher = AtRestCipher.fromSpec(spec('k1'));

  it('round-trips and never contains the plaintext', () => {
    const secret = Buffer.from('404142434445464748494a4b4c4d4e4f', 'hex');
    const sealed = cipher.seal(secret, 'sp-tsm/keyset/8981');
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    expect(sealed).not.toContain(secret.toString('base64'));
    expect(cipher.open(sealed, 'sp-tsm/keyset/8981')).toEqual(secret);
  });

  it('refuses a value moved to another row (associated data)', () => {
    const sealed = cipher.seal(Buffer.from('x'), 'row-a');
    expect(() => cipher.open(sealed, 'row-b')).toThrow(AtRestDecryptionError);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = cipher.seal(Buffer.from('hello world'), 'r');
    const [v, id, blob] = sealed.split('.');
    const raw = Buffer.from(blob, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => cipher.open(`${v}.${id}.${raw.toString('base64')}`, 'r')).toThrow(AtRestDecryptionError);
  });

  it('opens values sealed under a retired KEK after rotation', () => {
    const old = spec('old');
    const sealed = AtRestCipher.fromSpec(old).sealJson({ a: 1 }, 'r');
    const rotated = AtRestCipher.fromSpec(`${spec('new')},${old}`);
    expect(rotated.openJson(sealed, 'r')).toEqual({ a: 1 });
    expect(rotated.seal(Buffer.from('y'), 'r').startsWith('v1.new.')).toBe(true);
  });

  it('rejects malformed key specifications', () => {
    expect(() => AtRestCipher.fromSpec('nokey')).toThrow();
    expect(() => AtRestCipher.fromSpec(`k:${randomBytes(16).toString('base64')}`)).toThrow('32 bytes');
  });
});
