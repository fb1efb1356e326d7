import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ENROLLMENT_STEPS, hostCarrierOf, type Carrier, type EnrollmentView, type MvnoId } from '@jpki/contracts';
import { SagaHost, type SagaRecord } from '@jpki/saga';
import { Clock, conflict, notFound, type OperatorPrincipal, type Versioned, type VersionedRead } from '@jpki/service-kit';
import { recordOperatorRead } from '../operator-audit';
import { expectedApplication, type EnrollmentData } from './enrollment-data';
import { checkSignedApplication } from './signed-application';
import type { EnrollmentRequest } from './enrollment.schemas';

const UNIQUE_VIOLATION = '23505';

const inProgress = (msisdn: string) => conflict('ENROLLMENT_IN_PROGRESS', `an enrollment for ${msisdn} is already running`);

@Injectable()
export class EnrollmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly sagas: SagaHost,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the signed application (structure, signature, that it is for this number, operator and key mode), then
   * records the enrollment and starts its saga in one transaction. The number is held only once the CA has proven
   * the applicant (the saga's first step): a running enrollment whose holder is proven answers 409 here.
   */
  async start(req: EnrollmentRequest): Promise<EnrollmentView> {
    const id = `enr-${randomUUID()}`;
    const carrier: Carrier = hostCarrierOf(req.operator as Carrier | MvnoId);
    const mvno = req.operator === carrier ? undefined : (req.operator as MvnoId);
    const data: EnrollmentData = { enrollmentId: id, msisdn: req.msisdn, carrier, ...(mvno ? { mvno } : {}), keyMode: req.keyMode, signedApplication: req.signedApplication };
    checkSignedApplication(req.signedApplication, expectedApplication(data));
    const held: unknown[] = await this.ds.query(`SELECT 1 FROM enrollment WHERE msisdn = $1 AND active AND holds_msisdn`, [req.msisdn]);
    if (held.length > 0) throw inProgress(req.msisdn);
    try {
      await this.ds.transaction(async (m) => {
        await m.query(`INSERT INTO enrollment (id, msisdn, operator, carrier, key_mode, application) VALUES ($1, $2, $3, $4, $5, $6)`, [
          id,
          req.msisdn,
          req.operator,
          carrier,
          req.keyMode,
          req.signedApplication,
        ]);
        await this.sagas.engine.create(m, 'enrollment', id, data);
      });
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw inProgress(req.msisdn);
      throw err;
    }
    return this.view(id);
  }

  async view(id: string): Promise<EnrollmentView> {
    return (await this.follow(id, { waitMs: 0 })).body;
  }

  /** The enrollment once it differs from the version the client has, waiting at most `read.waitMs` for a change. */
  async follow(id: string, read: VersionedRead): Promise<Versioned<EnrollmentView>> {
    const saga = await this.sagas.engine.follow<EnrollmentData>(id, read.seenVersion, read.waitMs);
    if (!saga || saga.kind !== 'enrollment') throw notFound('ENROLLMENT_UNKNOWN', `no enrollment ${id}`);
    return { body: await this.viewOf(saga), version: saga.version };
  }

  private async viewOf(saga: SagaRecord<EnrollmentData>): Promise<EnrollmentView> {
    const id = saga.id;
    const rows: { operator: string }[] = await this.ds.query(`SELECT operator FROM enrollment WHERE id = $1`, [id]);
    const history = await this.sagas.engine.history(id);
    const d = saga.data;
    return {
      enrollmentId: id,
      msisdn: d.msisdn,
      operator: rows[0]?.operator ?? d.carrier,
      carrier: d.carrier,
      keyMode: d.keyMode,
      state: saga.state,
      status: saga.status,
      step: saga.step,
      stepIndex: saga.step ? ENROLLMENT_STEPS.indexOf(saga.step as never) : ENROLLMENT_STEPS.length,
      stepCount: ENROLLMENT_STEPS.length,
      ...(d.iccid ? { iccid: d.iccid } : {}),
      ...(d.serial ? { serial: d.serial } : {}),
      ...(saga.status === 'failed' || saga.status === 'compensating'
        ? { failure: { reason: saga.failureReason ?? 'UNKNOWN', detail: saga.failureDetail } }
        : {}),
      history: history.map((h) => ({ at: h.at.toISOString(), step: h.step, outcome: h.outcome, toState: h.toState })),
    };
  }

  /** Operators only: the enrollment ids of a number lead to its ICCID and certificate serial. Audited. */
  async findByMsisdn(operator: OperatorPrincipal, msisdn: string): Promise<string[]> {
    // A carrier's operator sees that carrier's enrollments only.
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM enrollment WHERE msisdn = $1 AND ($2::text IS NULL OR carrier = $2) ORDER BY created_at DESC LIMIT 20`,
      [msisdn, operator.carrier ?? null],
    );
    await recordOperatorRead(this.ds.manager, this.clock.now(), operator, 'enrollments.listed', msisdn, { count: rows.length });
    return rows.map((r) => r.id);
  }
}
