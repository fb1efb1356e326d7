import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCsr, sha256DigestInfo, userAuthenticationSubject, verifyCms, verifyCsr } from '@jpki/pki';
import { CardError, loadCardFile, parseCardFile, saveCardFile, VirtualMyNumberCard, type CardFile } from '../index';
import { cardFixture, PASSWORD, PIN, type CardFixture } from '../test/fixtures';

describe('virtual My Number card', () => {
  let fixture: CardFixture;
  const fresh = (persist?: (file: CardFile) => void) => VirtualMyNumberCard.open(fixture.file, { persist });

  beforeAll(async () => {
    fixture = await cardFixture();
  });

  it('never holds a private key in clear', () => {
    const json = JSON.stringify(fixture.file);
    for (const key of [fixture.signingKey, fixture.authKey]) {
      const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
      const jwk = key.export({ format: 'jwk' });
      expect(json).not.toContain(pkcs8.toString('base64').slice(0, 64));
      expect(json).not.toContain(pkcs8.subarray(40, 80).toString('hex'));
      for (const part of [jwk.d, jwk.p, jwk.q]) expect(json).not.toContain(String(part).slice(0, 32));
    }
    expect(fixture.file.signing.wrappedKey).toMatchObject({ kdf: 'scrypt', cipher: 'A256GCM' });
    expect(fixture.file).toMatchObject({ simulated: true, signing: { maxTries: 5, triesRemaining: 5 }, userAuthentication: { maxTries: 3, triesRemaining: 3 } });
  });

  it('signs an application as CMS SignedData that verifies with the card signing certificate', async () => {
    const card = fresh();
    const content = Buffer.from(JSON.stringify({ purpose: 'phone-enrollment', nonce: 'abc' }));
    const cms = await card.signApplication(PASSWORD, content, { signingTime: new Date('2026-01-01T00:00:00Z') });
    const verified = verifyCms(cms);
    expect(verified.signatureValid).toBe(true);
    if (!verified.signatureValid) return;
    expect(verified.content).toEqual(content);
    expect(verified.signerCertificate).toEqual(card.certificate('signing'));
    expect(verified.signingTime).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it('signs a DigestInfo with the user-authentication key (PKCS#1 v1.5) and exposes it as a pki Signer', async () => {
    const card = fresh();
    const challenge = Buffer.from('relying-party challenge');
    const signature = await card.signDigestInfo(PIN, sha256DigestInfo(challenge));
    expect(verify('sha256', challenge, createPublicKey(fixture.authKey), signature)).toBe(true);
    expect(await card.signChallenge(PIN, challenge)).toEqual(signature);
    const signer = await card.userAuthenticationSigner(PIN);
    const csr = await buildCsr({ subject: userAuthenticationSubject('PHONE'), signer });
    expect(verifyCsr(csr).publicKey.modulusBits).toBe(2048);
    await expect(card.signDigestInfo(PIN, Buffer.from('not a digest info'))).rejects.toMatchObject({ reason: 'DATA_INVALID' });
  });

  it('counts wrong signing passwords (63Cx), resets on success, blocks after 5 (6983) even for the right one', async () => {
    const card = fresh();
    expect(await card.verify('signing', 'WRONG1')).toMatchObject({ ok: false, reason: 'WRONG_CREDENTIAL', statusWord: '63C4', triesRemaining: 4 });
    expect(await card.verify('signing', 'WRONG2')).toMatchObject({ statusWord: '63C3', triesRemaining: 3 });
    expect(await card.verify('signing', PASSWORD)).toEqual({ ok: true, statusWord: '9000', triesRemaining: 5 });
    for (const left of [4, 3, 2, 1]) expect(await card.verify('signing', 'WRONG9')).toMatchObject({ triesRemaining: left, blocked: false });
    expect(await card.verify('signing', 'WRONG9')).toMatchObject({ statusWord: '63C0', triesRemaining: 0, blocked: true });
    expect(await card.verify('signing', PASSWORD)).toMatchObject({ ok: false, reason: 'BLOCKED', statusWord: '6983' });
    await expect(card.signApplication(PASSWORD, Buffer.from('x'))).rejects.toMatchObject({ reason: 'BLOCKED', statusWord: '6983' });
    // the other credential is independent
    expect(await card.verify('user-authentication', PIN)).toMatchObject({ ok: true });
  });

  it('blocks the 4-digit PIN after 3 consecutive failures; malformed entries are refused without using a try', async () => {
    const card = fresh();
    expect(await card.verify('user-authentication', '12a4')).toMatchObject({ reason: 'CREDENTIAL_FORMAT_INVALID', triesRemaining: 3 });
    expect(await card.verify('user-authentication', '0000')).toMatchObject({ statusWord: '63C2' });
    expect(await card.verify('user-authentication', '0001')).toMatchObject({ statusWord: '63C1' });
    expect(await card.verify('user-authentication', '0002')).toMatchObject({ statusWord: '63C0', blocked: true });
    await expect(card.signDigestInfo(PIN, sha256DigestInfo(Buffer.from('c')))).rejects.toBeInstanceOf(CardError);
    expect(card.status('user-authentication')).toEqual({ maxTries: 3, triesRemaining: 0, blocked: true });
  });

  it('persists the used try before checking the credential, and counters survive re-opening the file', async () => {
    const persisted: CardFile[] = [];
    const card = fresh((file) => void persisted.push(file));
    await card.verify('user-authentication', '9999');
    expect(persisted.map((f) => f.userAuthentication.triesRemaining)).toEqual([2]);
    await card.verify('user-authentication', PIN);
    expect(persisted.map((f) => f.userAuthentication.triesRemaining)).toEqual([2, 1, 3]);
    const reopened = VirtualMyNumberCard.open(persisted[0]);
    expect(reopened.status('user-authentication').triesRemaining).toBe(2);
    expect(persisted[2].revision).toBeGreaterThan(persisted[0].revision);
  });

  it('changes a credential; the old one stops working', async () => {
    const card = fresh();
    await card.changeCredential('user-authentication', PIN, '4321');
    expect(await card.verify('user-authentication', PIN)).toMatchObject({ ok: false, reason: 'WRONG_CREDENTIAL' });
    expect(await card.verify('user-authentication', '4321')).toMatchObject({ ok: true });
    await expect(card.changeCredential('signing', PASSWORD, 'short')).rejects.toMatchObject({ reason: 'CREDENTIAL_FORMAT_INVALID' });
  });

  it('does not open a wrapped key moved to another slot or card (associated data)', async () => {
    const swapped = structuredClone(fixture.file);
    swapped.userAuthentication.wrappedKey = fixture.file.signing.wrappedKey;
    const card = VirtualMyNumberCard.open(swapped);
    expect(await card.verify('user-authentication', PIN)).toMatchObject({ ok: false, reason: 'WRONG_CREDENTIAL' });
    const otherCard = { ...structuredClone(fixture.file), cardId: '00000000-0000-4000-8000-000000000000' };
    expect(await VirtualMyNumberCard.open(otherCard).verify('signing', PASSWORD)).toMatchObject({ ok: false });
  });

  it('refuses malformed card files with CARD_FILE_INVALID', () => {
    expect(() => parseCardFile('{nope')).toThrow(CardError);
    expect(() => parseCardFile({ ...fixture.file, format: 'other/1' })).toThrow(/format/);
    const greedy = structuredClone(fixture.file);
    greedy.signing.wrappedKey = { ...greedy.signing.wrappedKey, N: 2 ** 24 };
    expect(() => parseCardFile(greedy)).toThrow(/scrypt N/);
    const overCount = structuredClone(fixture.file);
    overCount.userAuthentication.triesRemaining = 9;
    expect(() => VirtualMyNumberCard.open(overCount)).toThrow(/triesRemaining/);
  });

  it('saves atomically and loads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mynumber-card-'));
    try {
      const path = join(dir, 'card.json');
      await saveCardFile(path, fixture.file);
      expect(await loadCardFile(path)).toEqual(fixture.file);
      expect(JSON.parse(await readFile(path, 'utf8')).format).toBe('jpki-virtual-mynumber-card/1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
