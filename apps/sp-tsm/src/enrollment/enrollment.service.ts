import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ENROLLMENT_STEPS, hostCarrierOf, type Carrier, type MvnoId } from '@jpki/contracts';
import { SagaHost } from '@jpki/saga';
import { conflict, notFound } from '@jpki/service-kit';
import type { EnrollmentData } from './enrollment-data';
import type { EnrollmentRequest, EnrollmentView } from './enrollment.schemas';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class EnrollmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly sagas: SagaHost,
  ) {}

  /** Records the enrollment and starts its saga in one transaction; one running enrollment per number. */
  async start(req: EnrollmentRequest): Promise<EnrollmentView> {
    const id = `enr-${randomUUID()}`;
    const carrier: Carrier = hostCarrierOf(req.operator as Carrier | MvnoId);
    const mvno = req.operator === carrier ? undefined : (req.operator as MvnoId);
    const data: EnrollmentData = { enrollmentId: id, msisdn: req.msisdn, carrier, ...(mvno ? { mvno } : {}), keyMode: req.keyMode, signedApplication: req.signedApplication };
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
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw conflict('ENROLLMENT_IN_PROGRESS', `an enrollment for ${req.msisdn} is already running`);
      }
      throw err;
    }
    return this.view(id);
  }

  async view(id: string): Promise<EnrollmentView> {
    const saga = await this.sagas.engine.get<EnrollmentData>(id);
    if (!saga || saga.kind !== 'enrollment') throw notFound('ENROLLMENT_UNKNOWN', `no enrollment ${id}`);
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

  async findByMsisdn(msisdn: string): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM enrollment WHERE msisdn = $1 ORDER BY created_at DESC LIMIT 20`, [msisdn]);
    return rows.map((r) => r.id);
  }
}
