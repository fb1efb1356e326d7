import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IPHONE_ENROLLMENT_STEPS, type IphoneEnrollmentView } from '@jpki/contracts';
import { SagaHost, type SagaRecord } from '@jpki/saga';
import { conflict, notFound, OperatorAudit, type OperatorPrincipal, type Versioned, type VersionedRead } from '@jpki/service-kit';
import { checkSignedApplication } from '../enrollment/signed-application';
import { deliveredKeyAad, expectedIphoneApplication, IPHONE_SAGA_KIND, type IphoneEnrollmentData } from './iphone-enrollment-data';
import type { IphoneEnrollmentRequest } from './iphone-enrollment.schemas';

const UNIQUE_VIOLATION = '23505';

const inProgress = (deviceId: string) => conflict('ENROLLMENT_IN_PROGRESS', `an enrollment for iPhone ${deviceId} is already running`);

@Injectable()
export class IphoneEnrollmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly sagas: SagaHost,
    private readonly audit: OperatorAudit,
  ) {}

  /**
   * Checks the signed application (structure, signature, that it is for this device and method), then records the
   * enrollment and starts its saga in one transaction. The device is held once the CA has proven the applicant: a
   * running enrollment whose holder is proven answers 409 here.
   */
  async start(req: IphoneEnrollmentRequest): Promise<IphoneEnrollmentView> {
    checkSignedApplication(req.signedApplication, expectedIphoneApplication(req));
    const held: unknown[] = await this.ds.query(`SELECT 1 FROM iphone_enrollment WHERE device_id = $1 AND active AND holds_device`, [req.deviceId]);
    if (held.length > 0) throw inProgress(req.deviceId);
    const id = `ienr-${randomUUID()}`;
    const data: IphoneEnrollmentData = {
      enrollmentId: id,
      deviceId: req.deviceId,
      method: req.method,
      signedApplication: req.signedApplication,
      ...(req.method === 'device-key' ? { csr: req.csr } : { keyAgreementPublicKey: req.keyAgreementPublicKey }),
      ...(req.attestation ? { attestation: req.attestation } : {}),
    };
    try {
      await this.ds.transaction(async (m) => {
        await m.query(`INSERT INTO iphone_enrollment (id, device_id, method) VALUES ($1, $2, $3)`, [id, req.deviceId, req.method]);
        await this.sagas.engine.create(m, IPHONE_SAGA_KIND, id, data);
      });
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw inProgress(req.deviceId);
      throw err;
    }
    return this.view(id);
  }

  async view(id: string): Promise<IphoneEnrollmentView> {
    return (await this.follow(id, { waitMs: 0 })).body;
  }

  /** The enrollment once it differs from the version the client has, waiting at most `read.waitMs` for a change. */
  async follow(id: string, read: VersionedRead): Promise<Versioned<IphoneEnrollmentView>> {
    const saga = await this.sagas.engine.follow<IphoneEnrollmentData>(id, read.seenVersion, read.waitMs);
    if (!saga || saga.kind !== IPHONE_SAGA_KIND) throw notFound('ENROLLMENT_UNKNOWN', `no iPhone enrollment ${id}`);
    return { body: await this.viewOf(saga), version: saga.version };
  }

  private async viewOf(saga: SagaRecord<IphoneEnrollmentData>): Promise<IphoneEnrollmentView> {
    const id = saga.id;
    const history = await this.sagas.engine.history(id);
    const d = saga.data;
    return {
      enrollmentId: id,
      deviceId: d.deviceId,
      method: d.method,
      state: saga.state,
      status: saga.status,
      step: saga.step,
      stepIndex: saga.step ? IPHONE_ENROLLMENT_STEPS.indexOf(saga.step as never) : IPHONE_ENROLLMENT_STEPS.length,
      stepCount: IPHONE_ENROLLMENT_STEPS.length,
      ...(d.serial ? { serial: d.serial } : {}),
      ...(d.certificate ? { certificate: d.certificate } : {}),
      ...(d.notAfter ? { notAfter: d.notAfter } : {}),
      ...(d.deliveredKey ? { deliveredKey: d.deliveredKey, deliveredKeyAad: deliveredKeyAad(id) } : {}),
      ...(saga.status === 'failed' || saga.status === 'compensating'
        ? { failure: { reason: saga.failureReason ?? 'UNKNOWN', detail: saga.failureDetail } }
        : {}),
      history: history.map((h) => ({ at: h.at.toISOString(), step: h.step, outcome: h.outcome, toState: h.toState })),
    };
  }

  /** Operators only: the enrollment ids of a device lead to its certificate. Audited. */
  async findByDevice(operator: OperatorPrincipal, deviceId: string): Promise<string[]> {
    // An iPhone has no carrier: a carrier's operator sees none of its enrollments.
    const rows: { id: string }[] = operator.carrier
      ? []
      : await this.ds.query(`SELECT id FROM iphone_enrollment WHERE device_id = $1 ORDER BY created_at DESC LIMIT 20`, [deviceId]);
    await this.audit.recordRead(operator, 'iphone-enrollments.listed', deviceId, { count: rows.length });
    return rows.map((r) => r.id);
  }
}
