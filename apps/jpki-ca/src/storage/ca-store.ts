/**
 * The storage authority (Boulder's SA): the only code that writes the CA's tables. Every method that
 * changes state takes the caller's EntityManager (the transaction it belongs to); the few that must commit
 * on their own (serial allocation, hierarchy bootstrap, CRL and OCSP publication) open their own.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeviceBinding, RevocationReason } from '@jpki/contracts';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import type {
  AuditEntry,
  AuditRow,
  AuditVerification,
  AuthorityId,
  AuthorityRow,
  CaId,
  CertificateKind,
  CertificateRow,
  CertificateStatusValue,
  CrlRow,
  IssuanceRow,
  IssuingCaId,
  NewIssuance,
  OcspEntry,
  PhoneCertificateKind,
  ProofingRecord,
  SealedBoxRecord,
} from './types';
import { PHONE_KINDS } from './types';

type Row = Record<string, unknown>;

/** TypeORM's postgres driver answers UPDATE/DELETE with `[rows, rowCount]`, everything else with rows. */
async function updateReturning(manager: EntityManager, sql: string, params: unknown[]): Promise<Row[]> {
  const result: unknown = await manager.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Row[];
  return result as Row[];
}

/** When a pre-signed OCSP answer is due again: halfway through its validity (the one place this rule is written). */
const halfway = (producedAt: string, nextUpdate: string) => `${producedAt} + (${nextUpdate} - ${producedAt}) / 2`;

const CERTIFICATE_COLUMNS = `serial, issuer_ca, kind, person_id, request_id, enrollment_id, device, seid, der, not_before, not_after,
  issued_at, status, revocation_reason, revoked_at, status_version`;

function toCertificate(r: Row): CertificateRow {
  return {
    serial: r['serial'] as string,
    issuerCa: r['issuer_ca'] as IssuingCaId,
    kind: r['kind'] as CertificateKind,
    personId: r['person_id'] as string,
    requestId: r['request_id'] as string,
    enrollmentId: (r['enrollment_id'] as string | null) ?? null,
    device: (r['device'] as DeviceBinding | null) ?? null,
    seid: (r['seid'] as string | null) ?? null,
    der: r['der'] as Buffer,
    notBefore: r['not_before'] as Date,
    notAfter: r['not_after'] as Date,
    issuedAt: r['issued_at'] as Date,
    status: r['status'] as CertificateStatusValue,
    revocationReason: (r['revocation_reason'] as RevocationReason | null) ?? null,
    revokedAt: (r['revoked_at'] as Date | null) ?? null,
    statusVersion: Number(r['status_version']),
  };
}

function toOcspEntry(r: Row): OcspEntry {
  return {
    serial: r['serial'] as string,
    issuerCa: r['issuer_ca'] as IssuingCaId,
    status: r['status'] as CertificateStatusValue,
    revocationReason: (r['revocation_reason'] as RevocationReason | null) ?? null,
    revokedAt: (r['revoked_at'] as Date | null) ?? null,
    statusVersion: Number(r['status_version']),
    preSigned: r['response']
      ? {
          certId: r['cert_id'] as Buffer,
          response: r['response'] as Buffer,
          statusVersion: Number(r['presigned_version']),
          nextUpdate: r['next_update'] as Date,
        }
      : undefined,
  };
}

function toIssuance(r: Row): IssuanceRow {
  return {
    requestId: r['request_id'] as string,
    requestDigest: r['request_digest'] as string,
    serial: r['serial'] as string,
    issuerCa: r['issuer_ca'] as IssuingCaId,
    kind: r['kind'] as CertificateKind,
    personId: r['person_id'] as string,
    enrollmentId: (r['enrollment_id'] as string | null) ?? null,
    device: (r['device'] as DeviceBinding | null) ?? null,
    keyMode: r['key_mode'] as IssuanceRow['keyMode'],
    subjectPublicKeyInfo: r['subject_public_key_info'] as Buffer,
    tbsCertificate: r['tbs_certificate'] as Buffer,
    lintingCertificate: r['linting_certificate'] as Buffer,
    lintFindings: (r['lint_findings'] as IssuanceRow['lintFindings']) ?? [],
    cardNotAfter: (r['card_not_after'] as Date | null) ?? null,
    notBefore: r['not_before'] as Date,
    notAfter: r['not_after'] as Date,
    deliveredKey: (r['delivered_key'] as SealedBoxRecord | null) ?? null,
    state: r['state'] as IssuanceRow['state'],
    failureReason: (r['failure_reason'] as string | null) ?? null,
    failureDetail: (r['failure_detail'] as string | null) ?? null,
    supersededSerials: (r['superseded_serials'] as string[]) ?? [],
    proofingRequestId: (r['proofing_request_id'] as string | null) ?? null,
  };
}

function toCrl(r: Row): CrlRow {
  return {
    caId: r['ca_id'] as CaId,
    crlNumber: BigInt(r['crl_number'] as string),
    baseCrlNumber: r['base_crl_number'] === null ? null : BigInt(r['base_crl_number'] as string),
    isBase: r['is_base'] as boolean,
    thisUpdate: r['this_update'] as Date,
    nextUpdate: r['next_update'] as Date,
    coveredChangeId: Number(r['covered_change_id']),
    entries: Number(r['entries']),
    der: r['der'] as Buffer,
  };
}

export interface StatusChangeInput {
  readonly serial: string;
  readonly from: CertificateStatusValue;
  readonly to: CertificateStatusValue;
  readonly reason: RevocationReason | null;
  readonly at: Date;
  readonly requestId?: string;
  readonly actor: string;
}

export interface RevokedEntryRow {
  readonly serial: string;
  readonly status: CertificateStatusValue;
  readonly reason: RevocationReason | null;
  readonly revokedAt: Date | null;
  readonly changedAt: Date;
}

@Injectable()
export class CaStore {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  private q(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // ---------- CA hierarchy ----------

  /** Runs `work` holding a session advisory lock (replicas starting together create the hierarchy once). */
  async withAdvisoryLock<T>(name: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const key = `${this.config.DB_SCHEMA}.${name}`;
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [key]);
      try {
        return await work(runner.manager);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [key]);
      }
    } finally {
      await runner.release();
    }
  }

  async loadAuthorities(manager?: EntityManager): Promise<AuthorityRow[]> {
    const rows: Row[] = await this.q(manager).query(
      `SELECT ca_id, generation, serial, certificate, sealed_private_key, not_before, not_after FROM ca_authority`,
    );
    return rows.map((r) => ({
      caId: r['ca_id'] as AuthorityId,
      generation: Number(r['generation']),
      serial: r['serial'] as string,
      certificate: r['certificate'] as Buffer,
      sealedPrivateKey: r['sealed_private_key'] as string,
      notBefore: r['not_before'] as Date,
      notAfter: r['not_after'] as Date,
    }));
  }

  /** Inserts a new authority, or replaces the row of `expectedGeneration` (responder rotation). */
  async saveAuthority(manager: EntityManager, row: AuthorityRow): Promise<void> {
    await manager.query(
      `INSERT INTO ca_authority (ca_id, generation, serial, certificate, sealed_private_key, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (ca_id) DO UPDATE SET generation = EXCLUDED.generation, serial = EXCLUDED.serial, certificate = EXCLUDED.certificate,
         sealed_private_key = EXCLUDED.sealed_private_key, not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, created_at = now()`,
      [row.caId, row.generation, row.serial, row.certificate, row.sealedPrivateKey, row.notBefore, row.notAfter],
    );
  }

  // ---------- persons ----------

  async insertPerson(manager: EntityManager, personId: string, sealedPersonalData: string, createdAt: Date): Promise<void> {
    await manager.query(`INSERT INTO person (person_id, sealed_personal_data, created_at) VALUES ($1, $2, $3)`, [personId, sealedPersonalData, createdAt]);
  }

  /** The person's sealed details after a basic-information change (the row is locked by the caller). */
  async updatePerson(manager: EntityManager, personId: string, sealedPersonalData: string): Promise<void> {
    await manager.query(`UPDATE person SET sealed_personal_data = $2 WHERE person_id = $1`, [personId, sealedPersonalData]);
  }

  /** Locks the person row (serialises issuance completion, supersession and card cascades per person). */
  async lockPerson(manager: EntityManager, personId: string): Promise<boolean> {
    const rows: Row[] = await manager.query(`SELECT person_id FROM person WHERE person_id = $1 FOR UPDATE`, [personId]);
    return rows.length === 1;
  }

  async findPerson(personId: string, manager?: EntityManager): Promise<{ personId: string; sealedPersonalData: string; createdAt: Date } | undefined> {
    const rows: Row[] = await this.q(manager).query(`SELECT person_id, sealed_personal_data, created_at FROM person WHERE person_id = $1`, [personId]);
    const r = rows[0];
    return r && { personId: r['person_id'] as string, sealedPersonalData: r['sealed_personal_data'] as string, createdAt: r['created_at'] as Date };
  }

  // ---------- issuance (serial allocation before signing) ----------

  async findIssuance(requestId: string, manager?: EntityManager): Promise<IssuanceRow | undefined> {
    const rows: Row[] = await this.q(manager).query(`SELECT * FROM issuance WHERE request_id = $1`, [requestId]);
    return rows[0] && toIssuance(rows[0]);
  }

  /**
   * Allocates the serial and stores the TBS, the linting certificate and its findings in a transaction of its
   * own that commits before anything is signed. A concurrent allocation for the same request id wins or loses
   * on the primary key; either way the stored row is returned.
   */
  async allocateIssuance(row: NewIssuance, audit: readonly AuditEntry[] = [], manager?: EntityManager): Promise<IssuanceRow | 'proofing-already-used'> {
    const insert = async (m: EntityManager): Promise<IssuanceRow | 'proofing-already-used'> => {
      // The proofing record is consumed with the allocation, or not at all: a second request naming it loses here.
      if (row.proofingRequestId !== null && !(await this.consumeProofing(m, row.proofingRequestId, row.requestId, row.kind, row.notBefore))) return 'proofing-already-used';
      const inserted: Row[] = await m.query(
        `INSERT INTO issuance (request_id, request_digest, serial, issuer_ca, kind, person_id, enrollment_id, device, key_mode,
           subject_public_key_info, tbs_certificate, linting_certificate, lint_findings, card_not_after, not_before, not_after,
           delivered_key, state, failure_reason, failure_detail, proofing_request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
        [
          row.requestId,
          row.requestDigest,
          row.serial,
          row.issuerCa,
          row.kind,
          row.personId,
          row.enrollmentId,
          row.device === null ? null : JSON.stringify(row.device),
          row.keyMode,
          row.subjectPublicKeyInfo,
          row.tbsCertificate,
          row.lintingCertificate,
          JSON.stringify(row.lintFindings),
          row.cardNotAfter,
          row.notBefore,
          row.notAfter,
          row.deliveredKey === null ? null : JSON.stringify(row.deliveredKey),
          row.state,
          row.failureReason ?? null,
          row.failureDetail ?? null,
          row.proofingRequestId,
        ],
      );
      if (inserted.length === 1) await this.appendAudit(m, audit);
      const stored = await this.findIssuance(row.requestId, m);
      if (!stored) throw new Error(`issuance ${row.requestId} vanished after allocation`);
      return stored;
    };
    return manager ? insert(manager) : this.dataSource.transaction(insert);
  }

  /** Conditional transition allocated → issued; false when another delivery completed it first. */
  async completeIssuance(manager: EntityManager, requestId: string, supersededSerials: readonly string[], at: Date): Promise<boolean> {
    const rows = await updateReturning(
      manager,
      `UPDATE issuance SET state = 'issued', superseded_serials = $2, completed_at = $3 WHERE request_id = $1 AND state = 'allocated' RETURNING request_id`,
      [requestId, supersededSerials, at],
    );
    return rows.length === 1;
  }

  async failIssuance(manager: EntityManager, requestId: string, reason: string, detail: string, at: Date): Promise<boolean> {
    const rows = await updateReturning(
      manager,
      `UPDATE issuance SET state = 'failed', failure_reason = $2, failure_detail = $3, completed_at = $4
       WHERE request_id = $1 AND state = 'allocated' RETURNING request_id`,
      [requestId, reason, detail.slice(0, 2048), at],
    );
    return rows.length === 1;
  }

  async insertCertificate(
    manager: EntityManager,
    row: Omit<CertificateRow, 'statusVersion' | 'status' | 'revocationReason' | 'revokedAt'>,
    spkiSha256: string,
  ): Promise<CertificateRow> {
    const rows: Row[] = await manager.query(
      `INSERT INTO certificate (serial, issuer_ca, kind, person_id, request_id, enrollment_id, device, seid, der, spki_sha256, not_before, not_after, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${CERTIFICATE_COLUMNS}`,
      [
        row.serial,
        row.issuerCa,
        row.kind,
        row.personId,
        row.requestId,
        row.enrollmentId,
        row.device === null ? null : JSON.stringify(row.device),
        row.seid,
        row.der,
        spkiSha256,
        row.notBefore,
        row.notAfter,
        row.issuedAt,
      ],
    );
    await manager.query(`INSERT INTO ocsp_response (serial) VALUES ($1)`, [row.serial]);
    return toCertificate(rows[0]);
  }

  // ---------- certificates ----------

  async findCertificate(serial: string, manager?: EntityManager, forUpdate = false): Promise<CertificateRow | undefined> {
    const rows: Row[] = await this.q(manager).query(
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificate WHERE serial = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [serial],
    );
    return rows[0] && toCertificate(rows[0]);
  }

  async certificatesOfPerson(personId: string, manager?: EntityManager): Promise<CertificateRow[]> {
    const rows: Row[] = await this.q(manager).query(
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificate WHERE person_id = $1 ORDER BY issued_at, serial`,
      [personId],
    );
    return rows.map(toCertificate);
  }

  /** Phone certificates (of the given kinds) that are good or on hold (the "active" ones), locked when `forUpdate`. */
  async activePhoneCertificates(
    manager: EntityManager | undefined,
    where: { personId: string } | { seid: string },
    forUpdate = true,
    kinds: readonly PhoneCertificateKind[] = PHONE_KINDS,
  ): Promise<CertificateRow[]> {
    const [column, value] = 'personId' in where ? ['person_id', where.personId] : ['seid', where.seid];
    const rows: Row[] = await this.q(manager).query(
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificate
       WHERE ${column} = $1 AND kind = ANY($2) AND status <> 'revoked' ORDER BY issued_at, serial${forUpdate ? ' FOR UPDATE' : ''}`,
      [value, kinds],
    );
    return rows.map(toCertificate);
  }

  /** The person's most recent card certificates (one of each kind), whatever their status. */
  async currentCardCertificates(personId: string, manager?: EntityManager): Promise<Partial<Record<'card-signing' | 'card-user-authentication', CertificateRow>>> {
    const rows: Row[] = await this.q(manager).query(
      `SELECT DISTINCT ON (kind) ${CERTIFICATE_COLUMNS} FROM certificate
       WHERE person_id = $1 AND kind IN ('card-signing', 'card-user-authentication') ORDER BY kind, issued_at DESC, serial DESC`,
      [personId],
    );
    return Object.fromEntries(rows.map((r) => [r['kind'], toCertificate(r)]));
  }

  async isKeyCertified(spkiSha256: string, manager?: EntityManager): Promise<boolean> {
    const rows: Row[] = await this.q(manager).query(`SELECT 1 FROM certificate WHERE spki_sha256 = $1 LIMIT 1`, [spkiSha256]);
    return rows.length > 0;
  }

  /**
   * Conditional status transition (`WHERE status = from`), recorded in `status_change` for delta CRLs.
   * Undefined when the certificate was not in `from` any more (a concurrent change won).
   */
  async changeStatus(manager: EntityManager, change: StatusChangeInput): Promise<CertificateRow | undefined> {
    const good = change.to === 'good';
    const rows = await updateReturning(
      manager,
      `UPDATE certificate SET status = $2, revocation_reason = $3, revoked_at = $4, status_version = nextval('status_version_seq')
       WHERE serial = $1 AND status = $5 RETURNING ${CERTIFICATE_COLUMNS}`,
      [change.serial, change.to, good ? null : change.reason, good ? null : change.at, change.from],
    );
    const row = rows[0] && toCertificate(rows[0]);
    if (!row) return undefined;
    // The pre-signed answer is due again at once (the same round trip records the change).
    await manager.query(
      `WITH due AS (UPDATE ocsp_response SET refresh_at = '-infinity' WHERE serial = $1)
       INSERT INTO status_change (serial, issuer_ca, status, reason, changed_at, status_version, request_id, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [row.serial, row.issuerCa, change.to, change.reason, change.at, row.statusVersion, change.requestId ?? null, change.actor],
    );
    return row;
  }

  async countRows(table: 'certificate' | 'issuance' | 'person' | 'audit_log'): Promise<number> {
    const rows: Row[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
    return Number(rows[0]['n']);
  }

  // ---------- identity proofing ----------

  async findProofing(requestId: string, manager?: EntityManager): Promise<Record<string, unknown> | undefined> {
    const rows: Row[] = await this.q(manager).query(`SELECT outcome FROM proofing WHERE request_id = $1`, [requestId]);
    return rows[0]?.['outcome'] as Record<string, unknown> | undefined;
  }

  async findProofingRecord(requestId: string, manager?: EntityManager): Promise<ProofingRecord | undefined> {
    const rows: Row[] = await this.q(manager).query(
      `SELECT request_id, verified, reason, person_id, outcome, decided_at, consumed_by, signing_consumed_by, consumed_at FROM proofing WHERE request_id = $1`,
      [requestId],
    );
    const r = rows[0];
    if (!r) return undefined;
    const outcome = r['outcome'] as { signingCertificateSerial?: string; application?: Record<string, unknown> };
    return {
      requestId: r['request_id'] as string,
      verified: r['verified'] as boolean,
      reason: (r['reason'] as string | null) ?? null,
      personId: (r['person_id'] as string | null) ?? null,
      signingCertificateSerial: outcome.signingCertificateSerial ?? null,
      application: outcome.application ?? null,
      decidedAt: r['decided_at'] as Date,
      consumedBy: (r['consumed_by'] as string | null) ?? null,
      signingConsumedBy: (r['signing_consumed_by'] as string | null) ?? null,
      consumedAt: (r['consumed_at'] as Date | null) ?? null,
    };
  }

  /** Marks a verified proofing record used by this issuance request; false when another request used it. */
  private async consumeProofing(manager: EntityManager, proofingRequestId: string, issuanceRequestId: string, kind: CertificateKind, at: Date): Promise<boolean> {
    const column = kind === 'phone-signing' ? 'signing_consumed_by' : 'consumed_by';
    const rows = await updateReturning(
      manager,
      `UPDATE proofing SET ${column} = $2, consumed_at = coalesce(consumed_at, $3)
       WHERE request_id = $1 AND verified AND (${column} IS NULL OR ${column} = $2) RETURNING request_id`,
      [proofingRequestId, issuanceRequestId, at],
    );
    return rows.length === 1;
  }

  async insertProofing(manager: EntityManager, requestId: string, outcome: { verified: boolean; reason?: string; personId?: string }, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO proofing (request_id, verified, reason, person_id, outcome, decided_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [requestId, outcome.verified, outcome.reason ?? null, outcome.personId ?? null, JSON.stringify(outcome), at],
    );
  }

  /** Records a nonce; 'replayed' when another request already used it. */
  async claimNonce(manager: EntityManager, nonce: string, requestId: string, at: Date): Promise<'claimed' | 'replayed'> {
    const inserted: Row[] = await manager.query(
      `INSERT INTO proofing_nonce (nonce, request_id, seen_at) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
      [nonce, requestId, at],
    );
    if (inserted.length === 1) return 'claimed';
    const rows: Row[] = await manager.query(`SELECT request_id FROM proofing_nonce WHERE nonce = $1`, [nonce]);
    return rows[0]?.['request_id'] === requestId ? 'claimed' : 'replayed';
  }

  async forgetNoncesBefore(cutoff: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM proofing_nonce WHERE seen_at < $1`, [cutoff]);
  }

  // ---------- revocation requests ----------

  async findRevocationRequest(requestId: string, manager?: EntityManager): Promise<Record<string, unknown> | undefined> {
    const rows: Row[] = await this.q(manager).query(`SELECT outcome FROM revocation_request WHERE request_id = $1`, [requestId]);
    return rows[0]?.['outcome'] as Record<string, unknown> | undefined;
  }

  async insertRevocationRequest(manager: EntityManager, requestId: string, command: string, outcome: Record<string, unknown>, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO revocation_request (request_id, command, outcome, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [requestId, command, JSON.stringify(outcome), at],
    );
  }

  // ---------- OCSP ----------

  async ocspEntry(serial: string): Promise<OcspEntry | undefined> {
    return (await this.ocspEntries([serial])).get(serial);
  }

  /** The OCSP entries of several serials in one query (serials the CA never issued are simply absent). */
  async ocspEntries(serials: readonly string[]): Promise<Map<string, OcspEntry>> {
    if (serials.length === 0) return new Map();
    const rows: Row[] = await this.dataSource.query(
      `SELECT c.serial, c.issuer_ca, c.status, c.revocation_reason, c.revoked_at, c.status_version,
              o.cert_id, o.response, o.status_version AS presigned_version, o.next_update
       FROM certificate c LEFT JOIN ocsp_response o USING (serial) WHERE c.serial = ANY($1::text[])`,
      [serials],
    );
    return new Map(rows.map((r) => [r['serial'] as string, toOcspEntry(r)]));
  }

  /**
   * Answers due for (re-)signing, the most overdue first (never signed or status changed: '-infinity'), and those
   * produced "in the future" (the clock was moved back); both read by index. Locked, skipping rows another replica holds.
   */
  async claimDueOcspResponses(manager: EntityManager, now: Date, limit: number): Promise<CertificateRow[]> {
    const rows: Row[] = await manager.query(
      `SELECT ${CERTIFICATE_COLUMNS.split(',').map((c) => `c.${c.trim()}`).join(', ')}
       FROM ocsp_response o JOIN certificate c USING (serial)
       WHERE o.serial = ANY(ARRAY(
         (SELECT serial FROM ocsp_response WHERE refresh_at <= $1 ORDER BY refresh_at LIMIT $2)
         UNION ALL (SELECT serial FROM ocsp_response WHERE produced_at > $1 LIMIT $2)))
       ORDER BY o.refresh_at
       LIMIT $2
       FOR UPDATE OF o SKIP LOCKED`,
      [now, Math.max(1, Math.floor(limit))],
    );
    return rows.map(toCertificate);
  }

  /** An expired certificate's answer is not signed again (unless the simulation clock moves back: `reviveOcspResponses`). */
  async retireOcspResponse(manager: EntityManager, serial: string): Promise<void> {
    await manager.query(`UPDATE ocsp_response SET refresh_at = 'infinity' WHERE serial = $1`, [serial]);
  }

  /**
   * Answers retired while their certificate had expired, whose certificate is valid at `validAfter` again: due as
   * they were before (at once if never signed or the status changed since, else halfway through their validity).
   */
  async reviveOcspResponses(validAfter: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE ocsp_response o SET refresh_at = CASE
         WHEN o.next_update IS NULL OR o.status_version <> c.status_version THEN '-infinity'
         ELSE ${halfway('o.produced_at', 'o.next_update')} END
       FROM certificate c WHERE c.serial = o.serial AND o.refresh_at = 'infinity' AND c.not_after > $1`,
      [validAfter],
    );
  }

  async storeOcspResponse(
    manager: EntityManager,
    serial: string,
    statusVersion: number,
    certId: Buffer,
    response: Buffer,
    producedAt: Date,
    nextUpdate: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE ocsp_response SET status_version = $2, cert_id = $3, response = $4, produced_at = $5, next_update = $6,
         refresh_at = ${halfway('$5::timestamptz', '$6::timestamptz')} WHERE serial = $1`,
      [serial, statusVersion, certId, response, producedAt, nextUpdate],
    );
  }

  // ---------- CRLs ----------

  /** A transaction holding the CA's CRL lock: one replica builds a CRL at a time, numbers stay monotonic. */
  withCrlLock<T>(caId: CaId, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.config.DB_SCHEMA}.crl.${caId}`]);
      return work(manager);
    });
  }

  async latestCrl(caId: CaId, kind: 'full' | 'base' | 'delta', manager?: EntityManager): Promise<CrlRow | undefined> {
    const condition = kind === 'delta' ? 'base_crl_number IS NOT NULL' : kind === 'base' ? 'is_base' : 'base_crl_number IS NULL';
    const rows: Row[] = await this.q(manager).query(
      `SELECT * FROM crl WHERE ca_id = $1 AND ${condition} ORDER BY crl_number DESC LIMIT 1`,
      [caId],
    );
    return rows[0] && toCrl(rows[0]);
  }

  async crlByNumber(caId: CaId, crlNumber: bigint): Promise<CrlRow | undefined> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM crl WHERE ca_id = $1 AND crl_number = $2`, [caId, crlNumber.toString()]);
    return rows[0] && toCrl(rows[0]);
  }

  async nextCrlNumber(manager: EntityManager, caId: CaId): Promise<bigint> {
    const rows: Row[] = await manager.query(`SELECT coalesce(max(crl_number), 0) + 1 AS n FROM crl WHERE ca_id = $1`, [caId]);
    return BigInt(rows[0]['n'] as string);
  }

  async lastStatusChangeId(manager: EntityManager, caId: CaId): Promise<number> {
    const rows: Row[] = await manager.query(`SELECT coalesce(max(id), 0) AS id FROM status_change WHERE issuer_ca = $1`, [caId]);
    return Number(rows[0]['id']);
  }

  /** Every certificate of the CA that is revoked or on hold (the entries of a complete CRL). */
  async notGoodEntries(manager: EntityManager, caId: CaId): Promise<RevokedEntryRow[]> {
    const rows: Row[] = await manager.query(
      `SELECT serial, status, revocation_reason, revoked_at FROM certificate WHERE issuer_ca = $1 AND status <> 'good' ORDER BY revoked_at, serial`,
      [caId],
    );
    return rows.map((r) => ({
      serial: r['serial'] as string,
      status: r['status'] as CertificateStatusValue,
      reason: (r['revocation_reason'] as RevocationReason | null) ?? null,
      revokedAt: (r['revoked_at'] as Date | null) ?? null,
      changedAt: (r['revoked_at'] as Date | null) ?? new Date(0),
    }));
  }

  /** Certificates whose status changed after `changeId`, with their current status (the entries of a delta CRL). */
  async changedSince(manager: EntityManager, caId: CaId, changeId: number): Promise<RevokedEntryRow[]> {
    const rows: Row[] = await manager.query(
      `SELECT c.serial, c.status, c.revocation_reason, c.revoked_at, max(s.changed_at) AS changed_at
       FROM status_change s JOIN certificate c USING (serial)
       WHERE s.issuer_ca = $1 AND s.id > $2 GROUP BY c.serial, c.status, c.revocation_reason, c.revoked_at ORDER BY c.serial`,
      [caId, changeId],
    );
    return rows.map((r) => ({
      serial: r['serial'] as string,
      status: r['status'] as CertificateStatusValue,
      reason: (r['revocation_reason'] as RevocationReason | null) ?? null,
      revokedAt: (r['revoked_at'] as Date | null) ?? null,
      changedAt: r['changed_at'] as Date,
    }));
  }

  async insertCrl(manager: EntityManager, row: CrlRow): Promise<void> {
    await manager.query(
      `INSERT INTO crl (ca_id, crl_number, base_crl_number, is_base, this_update, next_update, covered_change_id, entries, der)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        row.caId,
        row.crlNumber.toString(),
        row.baseCrlNumber === null ? null : row.baseCrlNumber.toString(),
        row.isBase,
        row.thisUpdate,
        row.nextUpdate,
        row.coveredChangeId,
        row.entries,
        row.der,
      ],
    );
  }

  // ---------- audit log ----------

  /** Appends entries; call last in a transaction (the chain lock is held until commit). */
  async appendAudit(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
    for (const entry of entries) {
      await manager.query(`INSERT INTO audit_log (occurred_at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)`, [
        entry.occurredAt,
        entry.actor,
        entry.action,
        entry.subject ?? null,
        JSON.stringify(entry.details ?? {}),
      ]);
    }
  }

  async verifyAudit(): Promise<AuditVerification> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM audit_log_verify()`);
    const r = rows[0];
    return {
      valid: r['valid'] as boolean,
      entries: Number(r['entries']),
      firstInvalidSeq: r['first_invalid_seq'] === null ? null : Number(r['first_invalid_seq']),
      problem: (r['problem'] as string | null) ?? null,
      headSeq: r['head_seq'] === null ? null : Number(r['head_seq']),
      headHash: r['head_hash'] ? (r['head_hash'] as Buffer).toString('hex') : null,
    };
  }

  async listAudit(afterSeq: number, limit: number, filter: { action?: string; subject?: string } = {}): Promise<AuditRow[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM audit_log WHERE seq > $1 AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR subject = $3) ORDER BY seq LIMIT $4`,
      [afterSeq, filter.action ?? null, filter.subject ?? null, limit],
    );
    return rows.map((r) => ({
      seq: Number(r['seq']),
      occurredAt: r['occurred_at'] as Date,
      recordedAt: r['recorded_at'] as Date,
      actor: r['actor'] as string,
      action: r['action'] as string,
      subject: (r['subject'] as string | null) ?? undefined,
      details: r['details'] as Record<string, unknown>,
      prevHash: (r['prev_hash'] as Buffer).toString('hex'),
      hash: (r['hash'] as Buffer).toString('hex'),
    }));
  }
}
