import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeviceBinding, RevocationReason } from '@jpki/contracts';

type Row = Record<string, unknown>;

/** TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with `[rows, count]`, SELECT/INSERT with rows. */
export async function queryRows<T = Row>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await m.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export type CertStatus = 'good' | 'on-hold' | 'revoked';
export type ServiceState = 'provisioning' | 'operational' | 'suspended' | 'terminated' | 'none';

export interface PhoneRow {
  readonly enrollmentId: string;
  readonly personId: string;
  readonly deviceKind: DeviceBinding['kind'];
  readonly iccid: string | null;
  /** An iPhone's device id, or an eSE phone's SEID. */
  readonly deviceId: string | null;
  readonly msisdn: string | null;
  readonly carrier: string | null;
  readonly mvno: string | null;
  readonly keyMode: string | null;
  readonly serial: string;
  readonly notAfter: Date | null;
  readonly certStatus: CertStatus;
  readonly revocationReason: RevocationReason | null;
  readonly serviceState: ServiceState;
  readonly pendingOperation: string | null;
  readonly lost: boolean;
  readonly expiredNotified: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The secure element running the phone's service: its SIM, or its embedded SE; none for an iPhone. */
export function seidOfPhone(phone: PhoneRow): string | null {
  return phone.iccid ?? (phone.deviceKind === 'ese' ? phone.deviceId : null);
}

/** What a case records about the phone it concerns. */
export function caseSubjectOf(phone: PhoneRow) {
  return {
    personId: phone.personId,
    enrollmentId: phone.enrollmentId,
    serial: phone.serial,
    iccid: phone.iccid ?? undefined,
    msisdn: phone.msisdn ?? undefined,
    carrier: phone.carrier ?? undefined,
  };
}

export interface SimRow {
  readonly iccid: string;
  readonly carrier: string | null;
  readonly msisdn: string | null;
  readonly imei: string | null;
  readonly closedAt: Date | null;
  readonly closedReason: 'contract-ended' | 'sim-swapped' | null;
  readonly replacedBy: string | null;
}

function toPhone(r: Row): PhoneRow {
  return {
    enrollmentId: r['enrollment_id'] as string,
    personId: r['person_id'] as string,
    deviceKind: r['device_kind'] as PhoneRow['deviceKind'],
    iccid: (r['iccid'] as string | null) ?? null,
    deviceId: (r['device_id'] as string | null) ?? null,
    msisdn: (r['msisdn'] as string | null) ?? null,
    carrier: (r['carrier'] as string | null) ?? null,
    mvno: (r['mvno'] as string | null) ?? null,
    keyMode: (r['key_mode'] as string | null) ?? null,
    serial: r['serial'] as string,
    notAfter: (r['not_after'] as Date | null) ?? null,
    certStatus: r['cert_status'] as CertStatus,
    revocationReason: (r['revocation_reason'] as RevocationReason | null) ?? null,
    serviceState: r['service_state'] as ServiceState,
    pendingOperation: (r['pending_operation'] as string | null) ?? null,
    lost: r['lost'] as boolean,
    expiredNotified: r['expired_notified'] as boolean,
    createdAt: r['created_at'] as Date,
    updatedAt: r['updated_at'] as Date,
  };
}

function toSim(r: Row): SimRow {
  return {
    iccid: r['iccid'] as string,
    carrier: (r['carrier'] as string | null) ?? null,
    msisdn: (r['msisdn'] as string | null) ?? null,
    imei: (r['imei'] as string | null) ?? null,
    closedAt: (r['closed_at'] as Date | null) ?? null,
    closedReason: (r['closed_reason'] as SimRow['closedReason']) ?? null,
    replacedBy: (r['replaced_by'] as string | null) ?? null,
  };
}

export interface NewPhone {
  enrollmentId: string;
  personId: string;
  serial: string;
  device: DeviceBinding;
  notAfter?: Date;
  keyMode?: string;
  serviceState?: ServiceState;
}

/**
 * The lifecycle service's view of the world, built from the CA's and the SP-TSM's events and the carriers'
 * notifications. Locks: the SIM row (per phone) before the phone row, the person row for per-person work.
 */
@Injectable()
export class ReadModel {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager): EntityManager {
    return m ?? this.ds.manager;
  }

  /** Per-person lock (card cases, supersession). */
  async lockPerson(m: EntityManager, personId: string): Promise<void> {
    await m.query(`INSERT INTO person (person_id) VALUES ($1) ON CONFLICT DO NOTHING`, [personId]);
    await m.query(`SELECT person_id FROM person WHERE person_id = $1 FOR UPDATE`, [personId]);
  }

  async markReenrollment(m: EntityManager, personId: string, cause: string | null): Promise<void> {
    await m.query(`INSERT INTO person (person_id) VALUES ($1) ON CONFLICT DO NOTHING`, [personId]);
    await m.query(`UPDATE person SET reenrollment_required = $2, reenrollment_cause = $3, updated_at = now() WHERE person_id = $1`, [personId, cause !== null, cause]);
  }

  async person(personId: string, m?: EntityManager): Promise<{ reenrollmentRequired: boolean; reenrollmentCause: string | null } | undefined> {
    const rows = await queryRows(this.q(m), `SELECT reenrollment_required, reenrollment_cause FROM person WHERE person_id = $1`, [personId]);
    return rows[0] && { reenrollmentRequired: rows[0]['reenrollment_required'] as boolean, reenrollmentCause: (rows[0]['reenrollment_cause'] as string | null) ?? null };
  }

  /** Per-SIM lock: creates the SIM row if needed and locks it for the rest of the transaction. */
  async lockSim(m: EntityManager, iccid: string, known: { carrier?: string; msisdn?: string } = {}): Promise<SimRow> {
    // One statement: ON CONFLICT DO UPDATE locks the row and returns it, even one another transaction just inserted.
    const rows = await queryRows(
      m,
      `INSERT INTO sim AS s (iccid, carrier, msisdn) VALUES ($1, $2, $3)
       ON CONFLICT (iccid) DO UPDATE SET carrier = coalesce(s.carrier, EXCLUDED.carrier), msisdn = coalesce(EXCLUDED.msisdn, s.msisdn),
         updated_at = CASE WHEN EXCLUDED.carrier IS NULL AND EXCLUDED.msisdn IS NULL THEN s.updated_at ELSE now() END
       RETURNING *`,
      [iccid, known.carrier ?? null, known.msisdn ?? null],
    );
    return toSim(rows[0]);
  }

  async sim(iccid: string, m?: EntityManager): Promise<SimRow | undefined> {
    const rows = await queryRows(this.q(m), `SELECT * FROM sim WHERE iccid = $1`, [iccid]);
    return rows[0] && toSim(rows[0]);
  }

  async closeSim(m: EntityManager, iccid: string, reason: 'contract-ended' | 'sim-swapped', at: Date, replacedBy?: string): Promise<void> {
    await m.query(
      `UPDATE sim SET closed_at = coalesce(closed_at, $2), closed_reason = coalesce(closed_reason, $3), replaced_by = coalesce($4, replaced_by), updated_at = now() WHERE iccid = $1`,
      [iccid, at, reason, replacedBy ?? null],
    );
  }

  async updateSim(m: EntityManager, iccid: string, change: { msisdn?: string; imei?: string }): Promise<void> {
    await m.query(`UPDATE sim SET msisdn = coalesce($2, msisdn), imei = coalesce($3, imei), updated_at = now() WHERE iccid = $1`, [
      iccid,
      change.msisdn ?? null,
      change.imei ?? null,
    ]);
  }

  // ---------- phones ----------

  async phone(enrollmentId: string, m?: EntityManager, forUpdate = false): Promise<PhoneRow | undefined> {
    const rows = await queryRows(this.q(m), `SELECT * FROM phone WHERE enrollment_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [enrollmentId]);
    return rows[0] && toPhone(rows[0]);
  }

  /** The phone a certificate belongs to (current or renewed-away serial) and that certificate's own status. */
  async phoneByCertificate(serial: string, m?: EntityManager): Promise<{ phone: PhoneRow; status: CertStatus; reason: string | null } | undefined> {
    const rows = await queryRows(this.q(m), `SELECT enrollment_id, status, revocation_reason FROM phone_certificate WHERE serial = $1`, [serial]);
    if (!rows[0]) return undefined;
    const phone = await this.phone(rows[0]['enrollment_id'] as string, m);
    return phone && { phone, status: rows[0]['status'] as CertStatus, reason: (rows[0]['revocation_reason'] as string | null) ?? null };
  }

  /** Phones on a SIM, newest first. */
  async phonesOnSim(iccid: string, m?: EntityManager): Promise<PhoneRow[]> {
    return (await queryRows(this.q(m), `SELECT * FROM phone WHERE iccid = $1 ORDER BY created_at DESC`, [iccid])).map(toPhone);
  }

  /** The newest phone on the SIM the carrier last reported in this handset (IMEI from `mno.subscriber.handset-changed`). */
  async phoneInHandset(imei: string): Promise<PhoneRow | undefined> {
    const rows = await queryRows(
      this.ds.manager,
      `SELECT p.* FROM phone p JOIN sim s ON s.iccid = p.iccid WHERE s.imei = $1 ORDER BY s.updated_at DESC, p.created_at DESC LIMIT 1`,
      [imei],
    );
    return rows[0] && toPhone(rows[0]);
  }

  async phonesByMsisdn(msisdn: string, m?: EntityManager): Promise<PhoneRow[]> {
    return (await queryRows(this.q(m), `SELECT * FROM phone WHERE msisdn = $1 ORDER BY created_at DESC`, [msisdn])).map(toPhone);
  }

  async phonesOfPerson(personId: string, m?: EntityManager): Promise<PhoneRow[]> {
    return (await queryRows(this.q(m), `SELECT * FROM phone WHERE person_id = $1 ORDER BY created_at DESC`, [personId])).map(toPhone);
  }

  /** A new phone (issuance or completed enrollment, whichever is seen first), or the fields the event adds. */
  async upsertPhone(m: EntityManager, p: NewPhone): Promise<{ phone: PhoneRow; created: boolean }> {
    const sim = p.device.kind === 'sim' ? p.device : undefined;
    const number = p.device.kind === 'iphone' ? undefined : p.device;
    const inserted = await queryRows(
      m,
      `INSERT INTO phone (enrollment_id, person_id, device_kind, iccid, device_id, msisdn, carrier, mvno, key_mode, serial, not_after, service_state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (enrollment_id) DO NOTHING RETURNING enrollment_id`,
      [
        p.enrollmentId,
        p.personId,
        p.device.kind,
        sim?.iccid ?? null,
        p.device.kind === 'iphone' ? p.device.deviceId : p.device.kind === 'ese' ? p.device.seid : null,
        number?.msisdn ?? null,
        number?.carrier ?? null,
        number?.mvno ?? null,
        p.keyMode ?? null,
        p.serial,
        p.notAfter ?? null,
        p.serviceState ?? (p.device.kind === 'iphone' ? 'none' : 'provisioning'),
      ],
    );
    if (inserted.length === 0) {
      await m.query(
        `UPDATE phone SET not_after = coalesce($2, not_after), key_mode = coalesce($3, key_mode),
                service_state = CASE WHEN $4::text = 'operational' AND service_state = 'provisioning' THEN 'operational' ELSE service_state END,
                updated_at = now()
          WHERE enrollment_id = $1`,
        [p.enrollmentId, p.notAfter ?? null, p.keyMode ?? null, p.serviceState ?? null],
      );
    }
    await this.recordCertificate(m, { serial: p.serial, enrollmentId: p.enrollmentId, personId: p.personId, notAfter: p.notAfter });
    const phone = await this.phone(p.enrollmentId, m, true);
    if (!phone) throw new Error(`phone ${p.enrollmentId} vanished after its upsert`);
    return { phone, created: inserted.length === 1 };
  }

  async recordCertificate(
    m: EntityManager,
    c: { serial: string; enrollmentId: string; personId: string; notAfter?: Date; kind?: 'phone-user-authentication' | 'phone-signing' },
  ): Promise<void> {
    await m.query(
      `INSERT INTO phone_certificate (serial, enrollment_id, person_id, not_after, kind) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (serial) DO UPDATE SET not_after = coalesce(EXCLUDED.not_after, phone_certificate.not_after)`,
      [c.serial, c.enrollmentId, c.personId, c.notAfter ?? null, c.kind ?? 'phone-user-authentication'],
    );
  }

  /** A renewal: the phone now carries the new certificate (same enrollment, same applet). */
  async renewPhone(m: EntityManager, enrollmentId: string, serial: string, notAfter: Date): Promise<void> {
    await m.query(
      `UPDATE phone SET serial = $2, not_after = $3, cert_status = 'good', revocation_reason = NULL, expired_notified = false, updated_at = now() WHERE enrollment_id = $1`,
      [enrollmentId, serial, notAfter],
    );
  }

  /** A CA status change: the certificate's history, and the phone if it is its current certificate. */
  async applyCertificateStatus(m: EntityManager, serial: string, status: CertStatus, reason: string | null, at: Date, updatePhone = true): Promise<PhoneRow | undefined> {
    await m.query(`UPDATE phone_certificate SET status = $2, revocation_reason = $3, changed_at = $4 WHERE serial = $1`, [
      serial,
      status,
      status === 'good' ? null : reason,
      at,
    ]);
    if (!updatePhone) return undefined;
    const rows = await queryRows(
      m,
      `UPDATE phone SET cert_status = $2, revocation_reason = $3, updated_at = now() WHERE serial = $1 AND cert_status <> 'revoked' RETURNING *`,
      [serial, status, status === 'good' ? null : reason],
    );
    return rows[0] && toPhone(rows[0]);
  }

  /** A service operation happened on the secure element's current phone; a terminated service never comes back. */
  async applyServiceState(m: EntityManager, seid: string, state: ServiceState | null, pendingOperation: string | null): Promise<void> {
    await m.query(
      `UPDATE phone SET service_state = coalesce($2, service_state), pending_operation = $3, updated_at = now()
        WHERE enrollment_id = (SELECT enrollment_id FROM phone WHERE iccid = $1 OR (device_kind = 'ese' AND device_id = $1) ORDER BY created_at DESC LIMIT 1)
          AND service_state <> 'terminated'`,
      [seid, state, pendingOperation],
    );
  }

  async setLost(m: EntityManager, enrollmentId: string, lost: boolean): Promise<void> {
    await m.query(`UPDATE phone SET lost = $2, updated_at = now() WHERE enrollment_id = $1`, [enrollmentId, lost]);
  }

  async updateMsisdn(m: EntityManager, iccid: string, msisdn: string): Promise<void> {
    await m.query(`UPDATE phone SET msisdn = $2, updated_at = now() WHERE iccid = $1 AND service_state <> 'terminated'`, [iccid, msisdn]);
  }

  /** Phones whose certificate enters the renewal window (good, operational, not lost), oldest first. */
  async renewalCandidates(now: Date, windowEnd: Date, limit: number): Promise<PhoneRow[]> {
    return (
      await queryRows(
        this.ds.manager,
        `SELECT * FROM phone WHERE cert_status = 'good' AND service_state = 'operational' AND NOT lost AND device_kind = 'sim'
           AND pending_operation IS NULL AND not_after > $1 AND not_after <= $2 ORDER BY not_after LIMIT $3`,
        [now, windowEnd, limit],
      )
    ).map(toPhone);
  }

  /** Phones whose certificate ran out and whose holder was not told yet. */
  async newlyExpired(now: Date, limit: number): Promise<PhoneRow[]> {
    return (
      await queryRows(
        this.ds.manager,
        `SELECT * FROM phone WHERE cert_status <> 'revoked' AND NOT expired_notified AND not_after <= $1 ORDER BY not_after LIMIT $2`,
        [now, limit],
      )
    ).map(toPhone);
  }

  async markExpiredNotified(m: EntityManager, enrollmentId: string): Promise<boolean> {
    const rows = await queryRows(m, `UPDATE phone SET expired_notified = true WHERE enrollment_id = $1 AND NOT expired_notified RETURNING enrollment_id`, [enrollmentId]);
    return rows.length === 1;
  }
}
