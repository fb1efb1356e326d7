import { Client } from 'pg';
import { testDatabaseUrl, testSchema } from '@jpki/testing';
import { cardRegistriesAgreeWithTsmRecords } from './card-registries';
import type { DeadLetter } from './dead-letters';
import { checkInvariants, platformSchemas, type CheckResult } from './invariants';
import type { CardContent, CardRegistryEntry } from './platform-services';

/**
 * Each invariant against rows inserted into scratch schemas shaped like the services' own (only the columns the checks
 * read): an honest run's rows pass, each kind of lost, doubled or stuck work is reported with its offending rows.
 */
describe('invariant checker on PostgreSQL', () => {
  const db = new Client({ connectionString: testDatabaseUrl() });
  const prefix = `${testSchema('inv')}_`;
  const s = platformSchemas(prefix);
  const docomo = s.tsm[0];
  const sql = (text: string, params: unknown[] = []) => db.query(text, params);

  const run = async (deadLetters?: DeadLetter[], expected: string[] = []): Promise<Map<string, CheckResult>> =>
    new Map(
      (await checkInvariants({ query: async (t, p) => (await db.query(t, p)).rows, schemaPrefix: prefix, graceSeconds: 30, deadLetters, expectedDeadLetters: expected })).map((r) => [r.name, r]),
    );
  const violations = async (name: string) => (await run()).get(name)?.violations ?? [];

  // The cards as vsim's operator API shows them: 8981001 carries the service, 8981002 (whose enrollment failed) and the
  // handset eSE E500…AA are blank.
  const ISD = 'A000000151000000';
  const SSD = 'A00000055901000001';
  const APPLET = 'D392F000260100000101';
  const entry = (aid: string, kind: CardRegistryEntry['kind'], lifeCycle: string, associatedSd = ISD): CardRegistryEntry => ({ aid, kind, lifeCycle: { name: lifeCycle }, associatedSd });
  const honestCards = (): Map<string, CardContent> =>
    new Map([
      ['8981001', { isdAid: ISD, registry: [entry(ISD, 'ISD', 'SECURED'), entry(SSD, 'SSD', 'PERSONALIZED'), entry(APPLET, 'APP', 'SELECTABLE', SSD)] }],
      ['8981002', { isdAid: ISD, registry: [entry(ISD, 'ISD', 'SECURED')] }],
      ['E50000000000000000AA', { isdAid: ISD, registry: [entry(ISD, 'ISD', 'SECURED')] }],
    ]);
  const cardViolations = async (cards: Map<string, CardContent>) => {
    const services = { caUrl: 'http://unused', openssl: { write: async () => '', run: async () => ({ code: 1, output: '' }) }, cards: async (iccid: string) => cards.get(iccid) };
    const [result] = await checkInvariants({ query: async (t, p) => (await db.query(t, p)).rows, schemaPrefix: prefix, services, checks: [cardRegistriesAgreeWithTsmRecords] });
    return result.violations;
  };

  beforeAll(async () => {
    await db.connect();
    for (const schema of [s.spTsm, s.ca, s.lifecycle, s.vsim, docomo]) await sql(`CREATE SCHEMA "${schema}"`);
    for (const schema of [s.spTsm, s.lifecycle]) {
      await sql(`CREATE TABLE "${schema}".saga (id TEXT PRIMARY KEY, kind TEXT, state TEXT, step TEXT, status TEXT, data JSONB NOT NULL DEFAULT '{}', step_deadline TIMESTAMPTZ, next_run_at TIMESTAMPTZ NOT NULL DEFAULT now(), lease_until TIMESTAMPTZ, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      await sql(`CREATE TABLE "${schema}".saga_history (id BIGSERIAL, saga_id TEXT, step TEXT, outcome TEXT)`);
      await sql(`CREATE TABLE "${schema}".outbox (id BIGSERIAL, message_id UUID NOT NULL DEFAULT gen_random_uuid(), topic TEXT NOT NULL DEFAULT 't', message_type TEXT NOT NULL DEFAULT 'm', created_at TIMESTAMPTZ NOT NULL, published_at TIMESTAMPTZ)`);
    }
    await sql(`CREATE TABLE "${s.spTsm}".ssd_keyset (seid TEXT, ssd_aid TEXT, role TEXT, status TEXT)`);
    await sql(`CREATE TABLE "${s.spTsm}".service_instance (seid TEXT PRIMARY KEY, ssd_aid TEXT, applet_aid TEXT, state TEXT, pending_operation TEXT, updated_at TIMESTAMPTZ)`);
    await sql(`CREATE TABLE "${s.vsim}".sim (seid TEXT PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'uicc')`);
    await sql(`CREATE TABLE "${s.ca}".certificate (serial TEXT PRIMARY KEY, kind TEXT, person_id TEXT, request_id TEXT UNIQUE, enrollment_id TEXT, status TEXT, issued_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await sql(`CREATE TABLE "${s.ca}".status_change (serial TEXT, changed_at TIMESTAMPTZ)`);
    await sql(`CREATE TABLE "${docomo}".ssd (iccid TEXT, ssd_aid TEXT, state TEXT)`);
    await sql(`CREATE TABLE "${s.lifecycle}".phone_certificate (serial TEXT, status TEXT, created_at TIMESTAMPTZ)`);
    await sql(`CREATE TABLE "${s.lifecycle}".phone (enrollment_id TEXT, serial TEXT, lost BOOLEAN, updated_at TIMESTAMPTZ)`);

    // An honest run: one completed enrollment (card and phone certificates good, lifecycle agreeing) and one that
    // failed and cleaned up (certificate revoked, SSD deleted, keys retired), everything published.
    const old = `now() - interval '10 minutes'`;
    await sql(`INSERT INTO "${s.spTsm}".saga (id, kind, state, status, data) VALUES ('enr-ok', 'enrollment', 'operational', 'completed', '{"serial":"A1","iccid":"8981001"}'),
      ('enr-failed', 'enrollment', 'failed', 'failed', '{"serial":"B1","iccid":"8981002"}')`);
    await sql(`INSERT INTO "${s.spTsm}".saga_history (saga_id, step, outcome) VALUES ('enr-ok', 'eligibility', 'completed'), ('enr-ok', 'eligibility', 'retry:OTA'), ('enr-ok', 'activation', 'completed')`);
    await sql(`INSERT INTO "${s.spTsm}".outbox (created_at, published_at) VALUES (${old}, ${old})`);
    await sql(`INSERT INTO "${s.spTsm}".ssd_keyset VALUES ('8981001', 'A000', 'sp', 'active'), ('8981002', 'A000', 'sp', 'retired')`);
    await sql(`INSERT INTO "${s.ca}".certificate (serial, kind, person_id, request_id, enrollment_id, status) VALUES
      ('C1', 'card-user-authentication', 'p1', 'card-1', NULL, 'good'),
      ('A1', 'phone-user-authentication', 'p1', 'enr-ok:issuance', 'enr-ok', 'good'),
      ('B1', 'phone-user-authentication', 'p2', 'enr-failed:issuance', 'enr-failed', 'revoked')`);
    await sql(`INSERT INTO "${docomo}".ssd VALUES ('8981001', 'A000', 'created'), ('8981002', 'A000', 'deleted')`);
    await sql(`INSERT INTO "${s.lifecycle}".phone_certificate VALUES ('A1', 'good', ${old})`);
    await sql(`INSERT INTO "${s.lifecycle}".phone VALUES ('enr-ok', 'A1', false, ${old})`);
    await sql(`INSERT INTO "${s.spTsm}".service_instance VALUES ('8981001', '${SSD}', '${APPLET}', 'operational', NULL, ${old})`);
    await sql(`INSERT INTO "${s.vsim}".sim VALUES ('8981001', 'uicc'), ('8981002', 'uicc'), ('E50000000000000000AA', 'ese')`);
  });

  afterAll(async () => {
    for (const schema of [s.spTsm, s.ca, s.lifecycle, s.vsim, docomo]) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });

  /** Inserts the rows of a violation, runs the checker, and removes them again (the honest rows stay). */
  async function withRows(statements: string[], name: string): Promise<Record<string, unknown>[]> {
    await sql('BEGIN');
    try {
      for (const st of statements) await sql(st);
      return await violations(name);
    } finally {
      await sql('ROLLBACK');
    }
  }

  it('passes every check on an honest run', async () => {
    const results = await run([], []);
    expect([...results.values()].filter((r) => !r.passed)).toEqual([]);
    expect([...results.keys()]).toHaveLength(14);
  });

  it('reports a saga past its step deadline, and one nobody holds, but not one still leased', async () => {
    const found = await withRows(
      [
        `INSERT INTO "${s.spTsm}".saga (id, kind, state, status, step_deadline, next_run_at, lease_until) VALUES
          ('past-deadline', 'enrollment', 'x', 'running', now() - interval '5 minutes', now(), now() + interval '10 seconds'),
          ('orphaned', 'enrollment', 'x', 'compensating', now() + interval '1 hour', now() - interval '5 minutes', now() - interval '4 minutes'),
          ('leased', 'enrollment', 'x', 'running', now() + interval '1 minute', now() - interval '5 minutes', now() + interval '10 seconds')`,
      ],
      'sagas-not-stuck',
    );
    expect(found.map((r) => r['id']).sort()).toEqual(['orphaned', 'past-deadline']);
    expect(found[0]['schema']).toBe(s.spTsm);
  });

  it('reports a saga step completed twice', async () => {
    const found = await withRows([`INSERT INTO "${s.lifecycle}".saga_history (saga_id, step, outcome) VALUES ('case-1', 'ca-hold', 'completed'), ('case-1', 'ca-hold', 'completed')`], 'saga-steps-applied-once');
    expect(found).toEqual([{ schema: s.lifecycle, saga_id: 'case-1', step: 'ca-hold', outcome: 'completed', times: 2 }]);
  });

  it('reports outbox rows never published, leaving young ones in flight', async () => {
    const found = await withRows([`INSERT INTO "${s.spTsm}".outbox (created_at, topic) VALUES (now() - interval '2 minutes', 'stale'), (now(), 'young')`], 'outbox-published');
    expect(found.map((r) => r['topic'])).toEqual(['stale']);
  });

  it('reports a completed enrollment that records a certificate other than the one issued for it', async () => {
    const found = await withRows(
      [`INSERT INTO "${s.spTsm}".saga (id, kind, state, status, data) VALUES ('enr-2', 'enrollment', 'operational', 'completed', '{"serial":"D2"}')`, `INSERT INTO "${s.ca}".certificate (serial, kind, person_id, request_id, enrollment_id, status) VALUES ('D1', 'phone-user-authentication', 'p3', 'enr-2:issuance', 'enr-2', 'good')`],
      'completed-enrollment-kept-its-certificate',
    );
    expect(found).toEqual([{ enrollment_id: 'enr-2', recorded_serial: 'D2', issued_serial: 'D1' }]);
  });

  it('reports two live certificates for one enrollment', async () => {
    const found = await withRows([`INSERT INTO "${s.ca}".certificate (serial, kind, person_id, request_id, enrollment_id, status) VALUES ('A2', 'phone-user-authentication', 'p9', 'enr-ok:other', 'enr-ok', 'on-hold')`], 'one-live-certificate-per-enrollment');
    expect(found).toEqual([{ enrollment_id: 'enr-ok', serials: ['A1', 'A2'] }]);
  });

  it('reports a failed enrollment whose certificate is still live', async () => {
    const found = await withRows([`UPDATE "${s.ca}".certificate SET status = 'good' WHERE serial = 'B1'`], 'failed-enrollment-revoked-what-it-issued');
    expect(found).toEqual([{ enrollment_id: 'enr-failed', serial: 'B1', status: 'good' }]);
  });

  it('reports the SSD and SP keys a failed enrollment left on its SIM', async () => {
    const found = await withRows([`UPDATE "${docomo}".ssd SET state = 'locked' WHERE iccid = '8981002'`, `UPDATE "${s.spTsm}".ssd_keyset SET status = 'active' WHERE seid = '8981002'`], 'failed-enrollment-left-no-ssd-or-keys');
    expect(found.map((r) => r['leftover']).sort()).toEqual(['sp keyset A000', 'ssd locked']);
  });

  it('accepts what a later completed enrollment on the same SIM set up', async () => {
    const found = await withRows(
      [`UPDATE "${docomo}".ssd SET state = 'created' WHERE iccid = '8981002'`, `INSERT INTO "${s.spTsm}".saga (id, kind, state, status, data) VALUES ('enr-again', 'enrollment', 'operational', 'completed', '{"iccid":"8981002"}')`],
      'failed-enrollment-left-no-ssd-or-keys',
    );
    expect(found).toEqual([]);
  });

  it('reports lifecycle disagreeing with the CA', async () => {
    const found = await withRows([`UPDATE "${s.ca}".certificate SET status = 'on-hold' WHERE serial = 'A1'`], 'lifecycle-agrees-with-ca');
    expect(found).toEqual([{ serial: 'A1', lifecycle_status: 'good', ca_status: 'on-hold' }]);
  });

  it('reports a lost phone whose certificate is still good at the CA', async () => {
    const found = await withRows([`UPDATE "${s.lifecycle}".phone SET lost = true`], 'lost-phone-held-at-ca');
    expect(found).toEqual([{ enrollment_id: 'enr-ok', serial: 'A1', status: 'good' }]);
  });

  it('reports a good phone certificate under a revoked card certificate', async () => {
    const found = await withRows(
      [`UPDATE "${s.ca}".certificate SET status = 'revoked' WHERE serial = 'C1'`, `INSERT INTO "${s.ca}".status_change VALUES ('C1', now() - interval '5 minutes')`],
      'no-good-phone-under-revoked-card',
    );
    expect(found).toEqual([{ person_id: 'p1', serial: 'A1' }]);
  });

  it('reports dead letters caused by infrastructure, any the run did not inject, and injected poison that never arrived', async () => {
    const letter = (id: string, messageId: string, detail: string, infrastructureFailure: boolean) => ({ id, messageId, detail, infrastructureFailure, reason: 'RETRIES_EXHAUSTED', messageType: 't', failedBy: 'rp-bank' }) as DeadLetter;
    const results = await run([letter('ca.events.dlq:0:1', 'm-1', 'Connection terminated', true), letter('ca.events.dlq:0:2', 'm-poison', 'bad input', false)], ['m-poison', 'm-swallowed']);
    expect(results.get('dead-letters-hold-no-infrastructure-failures')?.violations.map((r) => r['id'])).toEqual(['ca.events.dlq:0:1']);
    expect(results.get('dead-letters-only-injected')?.violations.map((r) => r['id'])).toEqual(['ca.events.dlq:0:1']);
    expect(results.get('dead-letters-hold-the-injected-poison')?.violations).toEqual([{ messageId: 'm-swallowed' }]);
  });

  it('re-chains the CA audit log past ten entries in seq order, and reports a removed entry by the seq after it', async () => {
    await sql(`CREATE TABLE "${s.ca}".audit_log (seq BIGINT PRIMARY KEY, occurred_at TIMESTAMPTZ, recorded_at TIMESTAMPTZ, actor TEXT, action TEXT, subject TEXT, details JSONB, prev_hash BYTEA, hash BYTEA)`);
    // Chained in SQL as the CA's trigger chains them, so the checker's own hashing is judged against another implementation.
    await sql(`DO $$ DECLARE prev BYTEA := decode(repeat('00', 32), 'hex'); t TIMESTAMPTZ := '2026-12-03T10:00:00.123456Z'; BEGIN
      FOR n IN 1..12 LOOP
        INSERT INTO "${s.ca}".audit_log VALUES (n, t, t, 'service:sp-tsm', 'certificate.issued', 'S' || n, '{"a": 1}', prev,
          sha256(prev || convert_to(n::text || E'\\n' || to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' || to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' || 'service:sp-tsm' || E'\\n' || 'certificate.issued' || E'\\n' || 'S' || n || E'\\n' || '{"a": 1}'::jsonb::text, 'UTF8')));
        SELECT hash INTO prev FROM "${s.ca}".audit_log WHERE seq = n;
      END LOOP; END $$`);
    try {
      expect(await violations('ca-audit-chain-intact')).toEqual([]);
      expect(await withRows([`DELETE FROM "${s.ca}".audit_log WHERE seq = 5`], 'ca-audit-chain-intact')).toEqual([
        { seq: '6', problem: 'audit entry 6 does not link to the entry before it (an entry was removed, inserted or reordered)' },
      ]);
    } finally {
      await sql(`DROP TABLE "${s.ca}".audit_log`);
    }
  });

  describe('cards against the TSM records', () => {
    it('passes when every card holds what the SP-TSM and the MNO-TSM record', async () => {
      expect(await cardViolations(honestCards())).toEqual([]);
    });

    it('reports an SSD deleted on the card behind the SP-TSM\'s back, naming the ICCID', async () => {
      const cards = honestCards();
      cards.get('8981001')!.registry = [entry(ISD, 'ISD', 'SECURED')];
      expect(await cardViolations(cards)).toEqual([
        { iccid: '8981001', problem: `SSD ${SSD} missing on the card (SP-TSM: operational)` },
        { iccid: '8981001', problem: `JPKI applet ${APPLET} missing on the card (SP-TSM: operational)` },
      ]);
    });

    it('reports an SSD whose lock state is not the service state, both ways', async () => {
      const cards = honestCards();
      cards.get('8981001')!.registry[1] = entry(SSD, 'SSD', 'LOCKED');
      expect(await cardViolations(cards)).toEqual([{ iccid: '8981001', problem: `SSD ${SSD} is LOCKED on the card but the SP-TSM records the service operational` }]);
      await sql('BEGIN');
      try {
        await sql(`UPDATE "${s.spTsm}".service_instance SET state = 'suspended'`);
        expect(await cardViolations(cards)).toEqual([]);
        expect(await cardViolations(honestCards())).toEqual([{ iccid: '8981001', problem: `SSD ${SSD} is PERSONALIZED on the card but the SP-TSM records the service suspended` }]);
      } finally {
        await sql('ROLLBACK');
      }
    });

    it('reports the SSD a terminated service left on the card', async () => {
      await sql('BEGIN');
      try {
        await sql(`UPDATE "${s.spTsm}".service_instance SET state = 'terminated'`);
        expect(await cardViolations(honestCards())).toEqual([
          { iccid: '8981001', problem: `SSD ${SSD} still on the card after the SP-TSM terminated the service` },
          { iccid: '8981001', problem: `orphan SSD ${SSD} on the card: neither the SP-TSM nor the MNO-TSM records it` },
          { iccid: '8981001', problem: `orphan applet ${APPLET} on the card under SSD ${SSD}: neither the SP-TSM nor the MNO-TSM records it` },
        ]);
      } finally {
        await sql('ROLLBACK');
      }
    });

    it('reports an SSD and applet no TSM records, but not an SSD the carrier records as created', async () => {
      const cards = honestCards();
      cards.get('8981002')!.registry.push(entry('A00000055901000002', 'SSD', 'PERSONALIZED'), entry('A0000005590200', 'APP', 'SELECTABLE', 'A00000055901000002'));
      expect(await cardViolations(cards)).toEqual([
        { iccid: '8981002', problem: 'orphan SSD A00000055901000002 on the card: neither the SP-TSM nor the MNO-TSM records it' },
        { iccid: '8981002', problem: 'orphan applet A0000005590200 on the card under SSD A00000055901000002: neither the SP-TSM nor the MNO-TSM records it' },
      ]);
      await sql('BEGIN');
      try {
        await sql(`INSERT INTO "${docomo}".ssd VALUES ('8981002', 'A00000055901000002', 'created')`);
        expect(await cardViolations(cards)).toEqual([]);
      } finally {
        await sql('ROLLBACK');
      }
    });

    it('leaves out a SIM with a queued service operation', async () => {
      await sql('BEGIN');
      try {
        await sql(`UPDATE "${s.spTsm}".service_instance SET pending_operation = 'suspend'`);
        expect(await cardViolations(new Map([...honestCards()].map(([iccid, c]) => [iccid, { ...c, registry: [] }])))).toEqual([]);
      } finally {
        await sql('ROLLBACK');
      }
    });

    it('reports a SIM the SP-TSM serves that vsim does not have', async () => {
      const cards = honestCards();
      cards.delete('8981001');
      expect(await cardViolations(cards)).toEqual([{ iccid: '8981001', problem: 'vsim lists the SIM but its operator API does not find it' }]);
    });
  });
});
