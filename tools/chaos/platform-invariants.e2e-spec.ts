import { Client } from 'pg';
import { createSubscriber, createTestCitizen, enrollAndAuthenticate } from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { checkPlatform, vsimCards, type CheckResult, type PlatformServices } from '@jpki/operations';
import { startPlatformUnderTest, testDatabaseUrl, testKafkaBrokers, waitUntil, type PlatformUnderTest } from '@jpki/testing';

const BEYOND_THE_TABLES = ['ca-audit-chain-intact', 'card-registries-agree-with-tsm-records', 'ocsp-and-crl-agree-with-ca-and-lifecycle'];

/**
 * The invariants that read the running services, on a real platform (CA, SP-TSM, docomo MNO-TSM, vSIM, lifecycle as
 * separate processes) after one real enrollment: they hold, then each reports the entity it finds broken when the
 * state is broken behind the services' backs (a record changed without the card, a certificate status changed
 * without OCSP/CRL, an audit entry edited).
 */
describe('invariants beyond the tables, on a running platform', () => {
  let platform: PlatformUnderTest;
  let openssl: OpenSslWorkspace;
  let services: PlatformServices;
  const db = new Client({ connectionString: testDatabaseUrl() });
  let schema: (service: string) => string;
  let iccid: string;
  let serial: string;

  const check = async (): Promise<Map<string, CheckResult>> => {
    const results = await checkPlatform({ databaseUrl: testDatabaseUrl(), brokers: testKafkaBrokers(), schemaPrefix: schema(''), graceSeconds: 0, services });
    return new Map(results.filter((r) => BEYOND_THE_TABLES.includes(r.name)).map((r) => [r.name, r]));
  };
  const violations = async (name: string) => (await check()).get(name)?.violations ?? [];

  beforeAll(async () => {
    platform = await startPlatformUnderTest({
      only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim', 'lifecycle'],
      serviceEnv: { 'jpki-ca': { CRL_DEBOUNCE_MS: '50', KEY_POOL_SIZE: '2', CARD_FILE_KDF_LOG2N: '10' } },
    });
    // startPlatformUnderTest names schemas after its topic prefix: `<run>.<sub>.` → `<run>_<sub>_<service>`.
    schema = (service) => `${platform.topicPrefix.replace(/\./g, '_')}${service.replace(/-/g, '_')}`;
    openssl = await OpenSslWorkspace.create();
    services = { caUrl: platform.endpoints.ca, cards: vsimCards(platform.endpoints.vsim, platform.operatorToken), openssl };
    await db.connect();
    const citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const { enrollment } = await enrollAndAuthenticate(platform.endpoints, citizen, subscriber, 'docomo', 'on-card');
    expect(enrollment.status).toBe('completed');
    iccid = subscriber.iccid;
    serial = enrollment.serial!;
  }, 240_000);

  afterAll(async () => {
    await db.end();
    await openssl?.dispose();
    await platform?.stop();
  });

  it('hold on the enrolled platform: card, OCSP, CRL, lifecycle and audit chain agree', async () => {
    const results = await waitUntil(async () => {
      const r = await check();
      return [...r.values()].every((x) => x.passed) ? r : undefined;
    }, 30_000, 'every check beyond the tables passes');
    expect([...results.keys()].sort()).toEqual([...BEYOND_THE_TABLES].sort());
  });

  it('reports the SIM whose record says suspended while its SSD on the card is not locked', async () => {
    const table = `"${schema('sp-tsm')}".service_instance`;
    await db.query(`UPDATE ${table} SET state = 'suspended' WHERE seid = $1`, [iccid]);
    try {
      expect(await violations('card-registries-agree-with-tsm-records')).toEqual([
        { iccid, problem: expect.stringMatching(/^SSD [0-9A-F]+ is (PERSONALIZED|SELECTABLE) on the card but the SP-TSM records the service suspended$/) },
      ]);
    } finally {
      await db.query(`UPDATE ${table} SET state = 'operational' WHERE seid = $1`, [iccid]);
    }
  });

  it('reports the serial whose status the CA table changed without a CRL or lifecycle knowing', async () => {
    const table = `"${schema('jpki-ca')}".certificate`;
    await db.query(`UPDATE ${table} SET status = 'revoked', revocation_reason = 'keyCompromise', revoked_at = now() WHERE serial = $1`, [serial]);
    try {
      const found = (await violations('ocsp-and-crl-agree-with-ca-and-lifecycle')).filter((v) => v['serial'] === serial).map((v) => v['problem']);
      expect(found).toEqual(expect.arrayContaining(['CRL says good, the CA records revoked (keyCompromise)', 'lifecycle records good, the CA revoked (keyCompromise)']));
    } finally {
      await db.query(`UPDATE ${table} SET status = 'good', revocation_reason = NULL, revoked_at = NULL WHERE serial = $1`, [serial]);
    }
  });

  it('reports the first audit entry edited behind the chain, by seq', async () => {
    const table = `"${schema('jpki-ca')}".audit_log`;
    const [{ seq }] = (await db.query(`SELECT seq::text AS seq FROM ${table} ORDER BY seq OFFSET 2 LIMIT 1`)).rows;
    await db.query(`ALTER TABLE ${table} DISABLE TRIGGER audit_log_immutable`);
    try {
      await db.query(`UPDATE ${table} SET actor = actor || '-edited' WHERE seq = $1`, [seq]);
      expect(await violations('ca-audit-chain-intact')).toEqual([{ seq, problem: `audit entry ${seq} was modified: its hash does not cover its content` }]);
      await db.query(`UPDATE ${table} SET actor = left(actor, -length('-edited')) WHERE seq = $1`, [seq]);
      expect(await violations('ca-audit-chain-intact')).toEqual([]);
    } finally {
      await db.query(`ALTER TABLE ${table} ENABLE TRIGGER audit_log_immutable`);
    }
  });
});
