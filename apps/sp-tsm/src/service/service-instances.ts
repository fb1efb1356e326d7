import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Carrier, KeyMode } from '@jpki/contracts';
import type { Scp03SMode } from '@jpki/globalplatform';

export type ServiceState = 'operational' | 'suspended' | 'terminated';
export type ServiceOperation = 'suspend' | 'resume' | 'terminate';

/** The JPKI service deployed on one secure element (a SIM or an eSE): where it lives on the card and the certificate it runs. */
export interface ServiceInstance {
  seid: string;
  enrollmentId: string;
  carrier: Carrier;
  msisdn: string;
  personId: string;
  ssdAid: string;
  appletAid: string;
  serial: string;
  /** The phone signing certificate of the signing applet instance, if the person asked for one. */
  signingSerial: string | null;
  keyMode: KeyMode;
  scp03SMode: Scp03SMode;
  maxApduDataBytes: number;
  state: ServiceState;
  /** A lifecycle operation the carrier queued until the phone is reachable. */
  pendingRequest: string | null;
  pendingOperation: ServiceOperation | null;
}

type Deployed = Omit<ServiceInstance, 'state' | 'pendingRequest' | 'pendingOperation'>;

const STATE_AFTER: Record<ServiceOperation, ServiceState> = { suspend: 'suspended', resume: 'operational', terminate: 'terminated' };

interface Row {
  seid: string;
  enrollment_id: string;
  carrier: Carrier;
  msisdn: string;
  person_id: string;
  ssd_aid: string;
  applet_aid: string;
  serial: string;
  signing_serial: string | null;
  key_mode: KeyMode;
  scp03_s_mode: Scp03SMode;
  max_apdu_data_bytes: number;
  state: ServiceState;
  pending_request: string | null;
  pending_operation: ServiceOperation | null;
}

/** The `service_instance` table, its only reader and writer; every call runs in the caller's transaction. */
@Injectable()
export class ServiceInstances {
  /** The secure element's instance, locked until the transaction ends. */
  async lock(m: EntityManager, seid: string): Promise<ServiceInstance | undefined> {
    return this.one(m, `SELECT * FROM service_instance WHERE seid = $1 FOR UPDATE`, [seid]);
  }

  /** The instance waiting for the answer to `requestId` (a queued operation), locked. */
  async awaiting(m: EntityManager, seid: string, requestId: string): Promise<ServiceInstance | undefined> {
    return this.one(m, `SELECT * FROM service_instance WHERE seid = $1 AND pending_request = $2 FOR UPDATE`, [seid, requestId]);
  }

  /** Whether the secure element carries the service (in any state but terminated). */
  async deployedOn(m: EntityManager, seid: string): Promise<boolean> {
    return (await m.query(`SELECT 1 FROM service_instance WHERE seid = $1 AND state <> 'terminated'`, [seid])).length > 0;
  }

  /** An enrollment completed: the secure element now runs the service (replacing a terminated instance). */
  async deployed(m: EntityManager, s: Deployed): Promise<void> {
    await m.query(
      `INSERT INTO service_instance (seid, enrollment_id, carrier, msisdn, person_id, ssd_aid, applet_aid, serial, signing_serial, key_mode, scp03_s_mode, max_apdu_data_bytes, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'operational')
       ON CONFLICT (seid) DO UPDATE SET enrollment_id = EXCLUDED.enrollment_id, msisdn = EXCLUDED.msisdn, person_id = EXCLUDED.person_id,
         serial = EXCLUDED.serial, signing_serial = EXCLUDED.signing_serial, key_mode = EXCLUDED.key_mode, scp03_s_mode = EXCLUDED.scp03_s_mode,
         max_apdu_data_bytes = EXCLUDED.max_apdu_data_bytes, state = 'operational', updated_at = now()`,
      [s.seid, s.enrollmentId, s.carrier, s.msisdn, s.personId, s.ssdAid, s.appletAid, s.serial, s.signingSerial, s.keyMode, s.scp03SMode, s.maxApduDataBytes],
    );
  }

  /** The carrier queued `operation` until the phone is reachable. */
  async queued(m: EntityManager, seid: string, requestId: string, operation: ServiceOperation): Promise<void> {
    await m.query(`UPDATE service_instance SET pending_request = $2, pending_operation = $3, updated_at = now() WHERE seid = $1`, [seid, requestId, operation]);
  }

  /** The card operation happened: the state it leads to, nothing pending. */
  async applied(m: EntityManager, seid: string, operation: ServiceOperation): Promise<void> {
    await m.query(`UPDATE service_instance SET state = $2, pending_request = NULL, pending_operation = NULL, updated_at = now() WHERE seid = $1`, [
      seid,
      STATE_AFTER[operation],
    ]);
  }

  /** A renewal wrote `serial` over `previousSerial`. */
  async renewed(m: EntityManager, seid: string, serial: string, previousSerial: string): Promise<void> {
    await m.query(`UPDATE service_instance SET serial = $2, updated_at = now() WHERE seid = $1 AND serial = $3`, [seid, serial, previousSerial]);
  }

  private async one(m: EntityManager, sql: string, params: unknown[]): Promise<ServiceInstance | undefined> {
    const [row]: Row[] = await m.query(sql, params);
    return row && {
      seid: row.seid,
      enrollmentId: row.enrollment_id,
      carrier: row.carrier,
      msisdn: row.msisdn,
      personId: row.person_id,
      ssdAid: row.ssd_aid,
      appletAid: row.applet_aid,
      serial: row.serial,
      signingSerial: row.signing_serial,
      keyMode: row.key_mode,
      scp03SMode: row.scp03_s_mode,
      maxApduDataBytes: row.max_apdu_data_bytes,
      state: row.state,
      pendingRequest: row.pending_request,
      pendingOperation: row.pending_operation,
    };
  }
}
