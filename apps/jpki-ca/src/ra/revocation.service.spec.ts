import type { EntityManager } from 'typeorm';
import type { Clock } from '@jpki/service-kit';
import type { CaStore } from '../storage/ca-store';
import type { CertificateRow } from '../storage/types';
import { CaTransaction } from './ca-transaction';
import { CARD_CASCADE_REASON, RevocationService } from './revocation.service';
import type { StatusChanges } from './status-changes';

/** Policy unit tests with an in-memory store stand-in (the integration tests use the real database). */
function row(serial: string, kind: CertificateRow['kind'], overrides: Partial<CertificateRow> = {}): CertificateRow {
  return {
    serial,
    issuerCa: kind === 'card-signing' ? 'digital-signature' : 'user-authentication',
    kind,
    personId: 'p1',
    requestId: `r-${serial}`,
    enrollmentId: kind === 'phone-user-authentication' ? 'enr-1' : null,
    device: null,
    iccid: null,
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
    activePhoneCertificates: jest.fn(async () => [...rows.values()].filter((c) => c.kind === 'phone-user-authentication' && c.status !== 'revoked')),
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
  it('cascades a card revocation to active phones with cessationOfOperation', async () => {
    const { service, tx, applied } = setup([row('C1', 'card-signing'), row('P1', 'phone-user-authentication'), row('P0', 'phone-user-authentication', { status: 'revoked', revocationReason: 'superseded' })]);
    const outcome = await service.revoke(tx, { target: { by: 'serial', serial: 'C1' }, reason: 'affiliationChanged', requestedBy: 'city' });
    expect(outcome).toMatchObject({ ok: true, cascaded: [{ serial: 'P1' }] });
    expect(applied).toEqual([
      { serial: 'C1', to: 'revoked', reason: 'affiliationChanged' },
      { serial: 'P1', to: 'revoked', reason: CARD_CASCADE_REASON },
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
});
