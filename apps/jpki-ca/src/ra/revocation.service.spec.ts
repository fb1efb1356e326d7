import type { EntityManager } from 'typeorm';
import type { Clock } from '@jpki/service-kit';
import type { CaStore } from '../storage/ca-store';
import { PHONE_KINDS, type CertificateRow } from '../storage/types';
import { CaTransaction } from './ca-transaction';
import { CARD_CASCADE_REASON, RevocationService } from './revocation.service';
import type { StatusChanges } from './status-changes';

/** Policy unit tests with an in-memory store stand-in (the integration tests use the real database). */
function row(serial: string, kind: CertificateRow['kind'], overrides: Partial<CertificateRow> = {}): CertificateRow {
  return {
    serial,
    issuerCa: kind.endsWith('signing') ? 'digital-signature' : 'user-authentication',
    kind,
    personId: 'p1',
    requestId: `r-${serial}`,
    enrollmentId: kind.startsWith('phone-') ? 'enr-1' : null,
    device: null,
    seid: null,
    der: Buffer.alloc(0),
    notBefore: new Date(0),
    notAfter: new Date(Date.now() + 86_400_000),
    issuedAt: new Date(0),
    status: 'good',
    revocationReason: null,
    revokedAt: null,
    statusVersion: 1,
    ...overrides,
  };
}

function setup(certificates: CertificateRow[]) {
  const rows = new Map(certificates.map((c) => [c.serial, c]));
  const store = {
    findCertificate: jest.fn(async (serial: string) => rows.get(serial)),
    lockPerson: jest.fn(async () => true),
    activePhoneCertificates: jest.fn(async (_m: unknown, where: { personId: string } | { seid: string }, _lock = true, kinds: readonly string[] = PHONE_KINDS) =>
      [...rows.values()].filter((c) => kinds.includes(c.kind) && c.status !== 'revoked' && ('seid' in where ? c.seid === where.seid : c.personId === where.personId)),
    ),
  };
  const applied: { serial: string; to: string; reason: string | null }[] = [];
  const statuses = {
    apply: jest.fn(async (_tx: unknown, certificate: CertificateRow, to: CertificateRow['status'], reason: CertificateRow['revocationReason']) => {
      applied.push({ serial: certificate.serial, to, reason });
      const changed = { ...certificate, status: to, revocationReason: to === 'good' ? null : reason };
      rows.set(certificate.serial, changed);
      return changed;
    }),
  };
  const clock = { now: () => new Date() } as Clock;
  const service = new RevocationService(store as unknown as CaStore, statuses as unknown as StatusChanges, clock);
  const tx = new CaTransaction({} as EntityManager, jest.fn(), 'test');
  return { service, tx, applied, store };
}

describe('revocation policy', () => {
  it('cascades each card certificate to the phone certificates of its function: user authentication with cessationOfOperation, a 4-info change (signing) with affiliationChanged', async () => {
    const { service, tx, applied } = setup([
      row('C0', 'card-signing'),
      row('C1', 'card-user-authentication'),
      row('P1', 'phone-user-authentication'),
      row('P0', 'phone-user-authentication', { status: 'revoked', revocationReason: 'superseded' }),
      row('S1', 'phone-signing'),
    ]);
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'C0' }, reason: 'affiliationChanged', requestedBy: 'city' })).toMatchObject({ ok: true, cascaded: [{ serial: 'S1' }] });
    const outcome = await service.revoke(tx, { target: { by: 'serial', serial: 'C1' }, reason: 'keyCompromise', requestedBy: 'city' });
    expect(outcome).toMatchObject({ ok: true, cascaded: [{ serial: 'P1' }] });
    expect(applied).toEqual([
      { serial: 'C0', to: 'revoked', reason: 'affiliationChanged' },
      { serial: 'S1', to: 'revoked', reason: 'affiliationChanged' },
      { serial: 'C1', to: 'revoked', reason: 'keyCompromise' },
      { serial: 'P1', to: 'revoked', reason: CARD_CASCADE_REASON },
    ]);
  });

  it('a card signing revocation for another reason ends the phone signing certificate with cessationOfOperation', async () => {
    const { service, tx, applied } = setup([row('C0', 'card-signing'), row('S1', 'phone-signing'), row('P1', 'phone-user-authentication')]);
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'C0' }, reason: 'keyCompromise', requestedBy: 'city' })).toMatchObject({ ok: true, cascaded: [{ serial: 'S1' }] });
    expect(applied).toEqual([
      { serial: 'C0', to: 'revoked', reason: 'keyCompromise' },
      { serial: 'S1', to: 'revoked', reason: CARD_CASCADE_REASON },
    ]);
  });

  it('the phone signing certificate follows the user-authentication certificate of its phone: hold, release, revocation; not a supersession', async () => {
    const onSim = (iccid: string) => ({ seid: iccid, device: { kind: 'sim' as const, iccid, msisdn: '+819012345678', carrier: 'docomo' as const } });
    const { service, tx, applied } = setup([row('P1', 'phone-user-authentication', onSim('8981100000000000001')), row('S1', 'phone-signing', onSim('8981100000000000001')), row('S2', 'phone-signing', onSim('8981100000000000019'))]);
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P1' }, reason: 'certificateHold', requestedBy: 'lifecycle' })).toMatchObject({ ok: true, cascaded: [{ serial: 'S1', status: 'on-hold' }] });
    expect(await service.releaseHold(tx, { serial: 'P1', requestedBy: 'lifecycle' })).toMatchObject({ ok: true, cascaded: [{ serial: 'S1', status: 'good' }] });
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P1' }, reason: 'superseded', requestedBy: 'ca' })).toMatchObject({ ok: true, cascaded: [] });
    expect(applied).toEqual([
      { serial: 'P1', to: 'on-hold', reason: 'certificateHold' },
      { serial: 'S1', to: 'on-hold', reason: 'certificateHold' },
      { serial: 'P1', to: 'good', reason: null },
      { serial: 'S1', to: 'good', reason: null },
      { serial: 'P1', to: 'revoked', reason: 'superseded' },
    ]);
  });

  it('holds a card (cascading) but never releases a card hold', async () => {
    const { service, tx, applied } = setup([row('C2', 'card-user-authentication'), row('P2', 'phone-user-authentication')]);
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'C2' }, reason: 'certificateHold', requestedBy: 'call-centre' })).toMatchObject({ ok: true });
    expect(applied.map((a) => `${a.serial}:${a.to}`)).toEqual(['C2:on-hold', 'P2:revoked']);
    expect(await service.releaseHold(tx, { serial: 'C2', requestedBy: 'window' })).toMatchObject({ ok: false, reason: 'HOLD_NOT_RELEASABLE' });
  });

  it('releases a phone hold; refuses NOT_ON_HOLD, ALREADY_REVOKED, CERTIFICATE_UNKNOWN, REASON_NOT_ALLOWED without changes', async () => {
    const { service, tx, applied } = setup([row('P3', 'phone-user-authentication', { status: 'on-hold', revocationReason: 'certificateHold', revokedAt: new Date() }), row('P4', 'phone-user-authentication', { status: 'revoked', revocationReason: 'keyCompromise' })]);
    expect(await service.releaseHold(tx, { serial: 'P3', requestedBy: 'app' })).toMatchObject({ ok: true });
    expect(await service.releaseHold(tx, { serial: 'P3', requestedBy: 'app' })).toMatchObject({ ok: false, reason: 'NOT_ON_HOLD' });
    expect(await service.releaseHold(tx, { serial: 'P4', requestedBy: 'app' })).toMatchObject({ ok: false, reason: 'ALREADY_REVOKED' });
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P4' }, reason: 'keyCompromise', requestedBy: 'x' })).toMatchObject({ ok: false, reason: 'ALREADY_REVOKED' });
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'FF' }, reason: 'keyCompromise', requestedBy: 'x' })).toMatchObject({ ok: false, reason: 'CERTIFICATE_UNKNOWN' });
    expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P3' }, reason: 'removeFromCRL', requestedBy: 'x' })).toMatchObject({ ok: false, reason: 'REASON_NOT_ALLOWED' });
    expect(applied).toEqual([{ serial: 'P3', to: 'good', reason: null }]);
  });

  it('audits every decision, refusals included', async () => {
    const { service, tx } = setup([]);
    const entries: unknown[] = [];
    await service.revoke(tx, { target: { by: 'person-phones', personId: 'p1' }, reason: 'cessationOfOperation', requestedBy: 'mno' });
    await tx.finish({ appendAudit: async (_m: unknown, e: unknown[]) => void entries.push(...e) } as unknown as CaStore);
    expect(entries).toEqual([expect.objectContaining({ action: 'revocation.refused', subject: 'person:p1', actor: 'test' })]);
  });

  describe('commands over Kafka: phone certificates only, for the producer’s purpose', () => {
    const lifecycle = { producer: 'lifecycle' };
    const spTsm = { producer: 'sp-tsm' };

    it('refuses a card certificate whoever asks (CARD_CERTIFICATE_OPERATOR_ONLY); the operator API still may', async () => {
      const { service, tx, applied } = setup([row('C1', 'card-signing'), row('A1', 'card-user-authentication', { status: 'on-hold', revocationReason: 'certificateHold' }), row('P1', 'phone-user-authentication')]);
      for (const via of [lifecycle, spTsm]) {
        for (const reason of ['keyCompromise', 'unspecified', 'certificateHold'] as const) {
          expect(await service.revoke(tx, { target: { by: 'serial', serial: 'C1' }, reason, requestedBy: 'x', via })).toEqual({
            ok: false,
            reason: 'CARD_CERTIFICATE_OPERATOR_ONLY',
            detail: `C1 is a card-signing certificate: card certificates change only through the CA's operator API, not by a command from ${via.producer}`,
          });
        }
      }
      expect(await service.releaseHold(tx, { serial: 'A1', requestedBy: 'x', via: lifecycle })).toMatchObject({ reason: 'CARD_CERTIFICATE_OPERATOR_ONLY' });
      expect(applied).toEqual([]);
      expect(await service.revoke(tx, { target: { by: 'serial', serial: 'C1' }, reason: 'keyCompromise', requestedBy: 'city' })).toMatchObject({ ok: true });
    });

    it('revokes by ICCID only the phone on the notifying carrier’s SIM when the carrier is named (contract end)', async () => {
      const kddiPhone = row('P1', 'phone-user-authentication', { seid: '8981300000000000018', device: { kind: 'sim', iccid: '8981300000000000018', msisdn: '+819012345678', carrier: 'kddi' } });
      const { service, tx, applied } = setup([kddiPhone]);
      const target = { by: 'iccid' as const, iccid: '8981300000000000018' };
      expect(await service.revoke(tx, { target: { ...target, carrier: 'docomo' }, reason: 'cessationOfOperation', requestedBy: 'lifecycle', via: lifecycle })).toEqual({
        ok: false,
        reason: 'CERTIFICATE_UNKNOWN',
        detail: 'no active phone certificate is bound to ICCID 8981300000000000018 on docomo',
      });
      expect(applied).toEqual([]);
      expect(await service.revoke(tx, { target: { ...target, carrier: 'kddi' }, reason: 'cessationOfOperation', requestedBy: 'lifecycle', via: lifecycle })).toMatchObject({ ok: true });
    });

    it('lets lifecycle hold, release and revoke phone certificates', async () => {
      const { service, tx, applied } = setup([row('P1', 'phone-user-authentication')]);
      expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P1' }, reason: 'certificateHold', requestedBy: 'desk', via: lifecycle })).toMatchObject({ ok: true });
      expect(await service.releaseHold(tx, { serial: 'P1', requestedBy: 'desk', via: lifecycle })).toMatchObject({ ok: true });
      expect(await service.revoke(tx, { target: { by: 'person-phones', personId: 'p1' }, reason: 'cessationOfOperation', requestedBy: 'mno', via: lifecycle })).toMatchObject({ ok: true });
      expect(applied.map((a) => a.to)).toEqual(['on-hold', 'good', 'revoked']);
    });

    it('lets sp-tsm only withdraw a phone certificate (by serial, unspecified); a hold or another revocation is lifecycle’s (PURPOSE_NOT_ALLOWED)', async () => {
      const { service, tx, applied } = setup([row('P1', 'phone-user-authentication'), row('P2', 'phone-user-authentication')]);
      expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P1' }, reason: 'certificateHold', requestedBy: 'sp-tsm', via: spTsm })).toEqual({
        ok: false,
        reason: 'PURPOSE_NOT_ALLOWED',
        detail: 'a revocation (certificateHold, by serial) from sp-tsm: sp-tsm may only withdraw a phone certificate of a failed enrollment (by serial, reason unspecified); holds, releases and revocations are lifecycle’s',
      });
      expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P1' }, reason: 'keyCompromise', requestedBy: 'sp-tsm', via: spTsm })).toMatchObject({ reason: 'PURPOSE_NOT_ALLOWED' });
      expect(await service.revoke(tx, { target: { by: 'person-phones', personId: 'p1' }, reason: 'unspecified', requestedBy: 'sp-tsm', via: spTsm })).toMatchObject({ reason: 'PURPOSE_NOT_ALLOWED' });
      expect(await service.releaseHold(tx, { serial: 'P1', requestedBy: 'sp-tsm', via: spTsm })).toMatchObject({ reason: 'PURPOSE_NOT_ALLOWED' });
      expect(applied).toEqual([]);
      expect(await service.revoke(tx, { target: { by: 'serial', serial: 'P2' }, reason: 'unspecified', requestedBy: 'sp-tsm', via: spTsm })).toMatchObject({ ok: true });
      expect(applied).toEqual([{ serial: 'P2', to: 'revoked', reason: 'unspecified' }]);
    });
  });
});
