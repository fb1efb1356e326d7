/**
 * Two replicas of one deployment (same schema, keys and consumer group), as Kubernetes would run them:
 * the hierarchy is created once under the advisory lock, a revocation through one replica is visible over
 * OCSP on the other at once (NOTIFY invalidates its cache; without it the cached response would stay valid
 * for an hour), and a status change yields one CRL. How fast is measured by `npm run bench`, not here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CertificateIssuanceRequested, CertificateIssued, type PayloadOf } from '@jpki/contracts';
import { buildCsr, buildOcspRequest, generateRsaKeyPair, SoftwareRsaSigner, verifyOcspResponse, type CertificateStatus } from '@jpki/pki';
import { testDatabaseUrl, waitUntil } from '@jpki/testing';
import { Client } from 'pg';
import { CaHarness, freePort, newDeployment } from './test/ca-harness';

type Issued = PayloadOf<typeof CertificateIssued>;

describe('jpki-ca replicas sharing one database and consumer group', () => {
  let a: CaHarness;
  let b: CaHarness;

  beforeAll(async () => {
    const port = await freePort();
    const deployment = await newDeployment('ca2', `http://127.0.0.1:${port}`);
    // service-kit's migrateDatabase runs CREATE SCHEMA IF NOT EXISTS before taking its advisory lock, which
    // races when replicas start together (reported); the schema exists beforehand here, as a DB operator would make it.
    const admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA "${deployment.schema}"`);
    } finally {
      await admin.end();
    }
    // Both start at the same moment: migrations run once (service-kit lock), the hierarchy is created once (ours).
    [a, b] = await Promise.all([CaHarness.start({ deployment, port }), CaHarness.start({ deployment, messaging: false })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const ocspVia = async (replica: CaHarness, certificate: Buffer, issuer: Buffer): Promise<CertificateStatus> => {
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    const res = await fetch(`${replica.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request.der });
    const verified = verifyOcspResponse({ response: Buffer.from(await res.arrayBuffer()), certificate, issuerCertificate: issuer, nonce: request.nonce });
    if (!verified.ok) throw new Error(`${verified.reason}: ${verified.detail}`);
    return verified.certificateStatus;
  };

  it('creates the CA hierarchy once, whichever replica starts first', async () => {
    expect(await a.count('SELECT 1 FROM ca_authority')).toBe(5);
    const [rootA, rootB] = await Promise.all([a, b].map(async (r) => Buffer.from(await (await fetch(`${r.baseUrl}/ca/root.der`)).arrayBuffer())));
    expect(rootA.equals(rootB)).toBe(true);
  });

  it('shows a revocation made through one replica over OCSP on the other (cache invalidated by NOTIFY), and publishes one CRL for it', async () => {
    const citizen = await a.createCitizen();
    const { privateKey } = await generateRsaKeyPair();
    const csr = await buildCsr({ subject: [{ type: 'CN', value: 'applet' }], signer: new SoftwareRsaSigner(privateKey) });
    const device = { kind: 'sim' as const, iccid: `8981${Array.from(randomBytes(15), (x) => x % 10).join('')}`, msisdn: '+819099998888', carrier: 'softbank' as const };
    const request = {
      requestId: `iss-${randomUUID()}`,
      personId: citizen.personId,
      enrollmentId: 'enr-replicas',
      device,
      proofingRequestId: await a.proofingFor(citizen.personId, device, 'csr'),
      keySource: { mode: 'csr' as const, csr: csr.toString('base64') },
    };
    await a.send(CertificateIssuanceRequested, request);
    const issued = (await a.answer<Issued>(request.requestId, [CertificateIssued.type])).payload;
    const certificate = Buffer.from(issued.certificate, 'base64');
    const issuer = Buffer.from(citizen.cardFile.caCertificates.userAuthentication, 'base64');

    expect(await ocspVia(b, certificate, issuer)).toEqual({ status: 'good' }); // replica B has it cached now
    await waitUntil(async () => (await a.count(`SELECT 1 FROM crl WHERE ca_id = 'user-authentication'`)) >= 2, 5000, 'initial CRLs');
    const crlsBefore = await a.count(`SELECT 1 FROM crl WHERE ca_id = 'user-authentication' AND base_crl_number IS NULL`);

    await a.http().post(`/certificates/${issued.serial}/revocation`).set('authorization', a.token('operator')).send({ reason: 'keyCompromise' }).expect(200);
    const revoked = await waitUntil(
      async () => {
        const status = await ocspVia(b, certificate, issuer);
        return status.status === 'revoked' ? status : undefined;
      },
      10_000, // far below the hour the cached "good" response would otherwise stay valid
      'revocation visible on replica B',
    );
    expect(revoked).toMatchObject({ reason: 'keyCompromise' });

    await waitUntil(
      async () => (await a.count(`SELECT 1 FROM crl WHERE ca_id = 'user-authentication' AND base_crl_number IS NULL`)) > crlsBefore,
      5000,
      'CRL after the change',
    );
    await new Promise((r) => setTimeout(r, 500)); // both replicas were notified; give the second one time to (not) publish
    expect(await a.count(`SELECT 1 FROM crl WHERE ca_id = 'user-authentication' AND base_crl_number IS NULL`)).toBe(crlsBefore + 1);
  });
});
