import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AtRestDecryptionError extends Error {
  constructor(reason: string) {
    super(`sealed value rejected: ${reason}`);
  }
}

/**
 * AES-256-GCM sealing of secrets stored in PostgreSQL (keysets, CA keys, card images).
 * The associated data binds a sealed value to its row (e.g. "sp-tsm/ssd-keyset/<iccid>"),
 * so a ciphertext copied into another row does not open.
 * Format: `v1.<kekId>.<base64 iv|tag|ciphertext>`.
 */
export class AtRestCipher {
  private readonly keks: ReadonlyMap<string, Buffer>;

  constructor(
    keks: ReadonlyMap<string, Buffer>,
    private readonly activeKekId: string,
  ) {
    for (const [id, key] of keks) {
      if (key.length !== 32) throw new Error(`KEK ${id} must be 32 bytes`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`KEK id ${id} is not a simple identifier`);
    }
    if (!keks.has(activeKekId)) throw new Error(`active KEK ${activeKekId} is not configured`);
    this.keks = keks;
  }

  /** Parses `id:base64key[,id:base64key…]`; the first entry is the active one. */
  static fromSpec(spec: string): AtRestCipher {
    const entries = spec.split(',').map((part) => {
      const [id, b64] = part.split(':');
      if (!id || !b64) throw new Error('KEY_ENCRYPTION_KEYS must look like "kekId:base64Key[,…]"');
      return [id.trim(), Buffer.from(b64.trim(), 'base64')] as const;
    });
    return new AtRestCipher(new Map(entries), entries[0][0]);
  }

  seal(plaintext: Buffer, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek(this.activeKekId), iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return `${VERSION}.${this.activeKekId}.${blob}`;
  }

  open(sealed: string, associatedData: string): Buffer {
    const [version, kekId, blob] = sealed.split('.');
    if (version !== VERSION || !kekId || !blob) throw new AtRestDecryptionError('unknown format');
    const raw = Buffer.from(blob, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new AtRestDecryptionError('truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.kek(kekId), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new AtRestDecryptionError('authentication failed (wrong key or associated data, or tampered)');
    }
  }

  sealJson(value: unknown, associatedData: string): string {
    return this.seal(Buffer.from(JSON.stringify(value), 'utf8'), associatedData);
  }

  openJson<T>(sealed: string, associatedData: string): T {
    return JSON.parse(this.open(sealed, associatedData).toString('utf8')) as T;
  }

  private kek(id: string): Buffer {
    const key = this.keks.get(id);
    if (!key) throw new AtRestDecryptionError(`KEK ${id} is not configured`);
    return key;
  }
}
