import {
  BankClient,
  createSubscriber,
  createTestCitizen,
  enrollAndAuthenticate,
  enrollIphone,
  HttpJson,
  refusalOf,
  refusedWith,
  simChallengeSigner,
  TicketingClient,
  type ChallengeAnswer,
  type ChallengeSigner,
  type RpChallenge,
  type TestCitizen,
} from '@jpki/jpki-client';
import type { IphoneMethod } from '@jpki/contracts';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { decodeCertificate, formatSerialNumber, parseCrl, toPem } from '@jpki/pki';
import { startPlatformUnderTest, waitUntil, type PlatformUnderTest } from '@jpki/testing';

const PIN = '2580';
const EVENT = 'tokyo-dome-2027-01-01';




/** A challenge of a relying party signed now, submitted later (an answer prepared before a loss report). */
interface Prepared {
  challenge: RpChallenge;
  answer: ChallengeAnswer;
}

async function prepare(issue: Promise<RpChallenge>, sign: ChallengeSigner): Promise<Prepared> {
  const challenge = await issue;
  return { challenge, answer: await sign(Buffer.from(challenge.challenge, 'base64')) };
}

/**
 * The two relying parties of docs/DESIGN.md §1 with every service as its own process on the real broker and
 * database: internet banking (login, session bound to the certificate) and a ticketless service
 * (purchase bound to the certificate; online OCSP gate and offline CRL gate). Loss and found go through
 * the lifecycle service's operator API: for a SIM phone certificateHold + SSD lock (then release + unlock),
 * for an iPhone certificateHold only (the key keeps signing, so the relying parties must refuse it themselves).
 */
describe('e2e: relying parties (bank, ticket gates) through loss and found', () => {
  let platform: PlatformUnderTest;
  let bank: BankClient;
  let ticketing: TicketingClient;
  let lifecycle: HttpJson;

  const waitForCase = (caseId: string) =>
    waitUntil(async () => {
      const c = await lifecycle.get<{ status: string; outcomes: Record<string, string> }>(`/cases/${caseId}`);
      return c.status !== 'open' ? c : undefined;
    }, 60_000, `lifecycle case ${caseId}`);

  const knownToLifecycle = (serial: string) => waitUntil(() => lifecycle.get(`/phones?serial=${serial}`).catch(() => undefined), 30_000, `phone ${serial} known to lifecycle`);

  /** Waits until the CA's published CRL lists (or no longer lists) the serial, then synchronises the offline gate. */
  async function syncOfflineGate(serial: string, listed: boolean): Promise<void> {
    await waitUntil(
      async () => {
        const der = Buffer.from(await (await fetch(`${platform.endpoints.ca}/crl/user-authentication.crl`)).arrayBuffer());
        return parseCrl(der).entries.some((entry) => entry.serialNumber === serial) === listed;
      },
      15_000,
      `the CRL ${listed ? 'lists' : 'no longer lists'} ${serial}`,
    );
    await ticketing.refreshGateCrl('west-9');
  }

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim', 'lifecycle', 'rp-bank', 'rp-ticketing'] });
    const e = platform.endpoints;
    bank = new BankClient(e.rpBank);
    ticketing = new TicketingClient(e.rpTicketing, platform.operatorToken);
    lifecycle = new HttpJson(e.lifecycle, platform.operatorToken);
    await ticketing.configureGate('east-1', { eventId: EVENT, mode: 'online' });
    await ticketing.configureGate('west-9', { eventId: EVENT, mode: 'offline', crlMaxAgeSeconds: 900 });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('SIM phone (applet after PIN)', () => {
    let phone: ChallengeSigner;
    let serial: string;
    let msisdn: string;
    let citizen: TestCitizen;

    beforeAll(async () => {
      const e = platform.endpoints;
      citizen = await createTestCitizen(e, platform.operatorToken);
      const subscriber = await createSubscriber(e, platform.operatorToken, 'docomo');
      const { enrollment } = await enrollAndAuthenticate(e, citizen, subscriber, 'docomo', 'on-card', undefined, PIN);
      expect(enrollment.status).toBe('completed');
      serial = enrollment.serial!;
      msisdn = subscriber.msisdn;
      phone = simChallengeSigner(e, subscriber.handset, PIN);
      // The lifecycle service learns the phone from the SP-TSM's events.
      await knownToLifecycle(serial);
    }, 120_000);

    it('logs into the bank (signature, chain, OCSP) and a replayed login answer is refused', async () => {
      const login = await bank.login(phone);
      expect(login).toMatchObject({ holder: { serial, keyType: 'rsa' }, status: { source: 'ocsp' } });
      expect((await bank.account(login.sessionToken)).session.certificateSerial).toBe(serial);

      const { challenge, answer } = await prepare(bank.challenge(), phone);
      await bank.submitLogin(challenge.challengeId, answer);
      expect(await refusalOf(bank.submitLogin(challenge.challengeId, answer))).toMatchObject({ status: 409, reason: 'CHALLENGE_REPLAYED' });
    });

    it('buys a ticket bound to the certificate and enters at the online and the offline gate', async () => {
      const first = await ticketing.buy(EVENT, phone);
      expect(first.holder.serial).toBe(serial);
      expect(await ticketing.enter('east-1', phone, { ticketId: first.ticketId })).toMatchObject({ mode: 'online', status: { source: 'ocsp' } });
      const second = await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('west-9', phone)).toMatchObject({ ticketId: second.ticketId, mode: 'offline', status: { source: 'crl' } });
      expect(await refusalOf(ticketing.enter('west-9', phone, { ticketId: second.ticketId }))).toMatchObject({ status: 409, reason: 'TICKET_ALREADY_USED' });
      const { challenge, answer } = await prepare(ticketing.gateChallenge('east-1'), phone);
      const third = await ticketing.buy(EVENT, phone);
      await ticketing.submitEntry('east-1', challenge.challengeId, answer, { ticketId: third.ticketId });
      expect(await refusalOf(ticketing.submitEntry('east-1', challenge.challengeId, answer, { ticketId: third.ticketId }))).toMatchObject({
        status: 409,
        reason: 'CHALLENGE_REPLAYED',
      });
    });

    it('loss report: session ended, the applet locked, answers prepared before the report refused by the bank and the online gate; the offline gate only after its CRL refresh', async () => {
      const session = await bank.login(phone);
      const tickets = [await ticketing.buy(EVENT, phone), await ticketing.buy(EVENT, phone)];
      await ticketing.refreshGateCrl('west-9');
      // Answers a thief with the PIN could have prepared just before the holder called the hotline.
      const atBank = await prepare(bank.challenge(), phone);
      const atOnlineGate = await prepare(ticketing.gateChallenge('east-1'), phone);
      const atOfflineGateBeforeRefresh = await prepare(ticketing.gateChallenge('west-9'), phone);
      const atOfflineGateAfterRefresh = await prepare(ticketing.gateChallenge('west-9'), phone);

      const loss = await lifecycle.post<{ caseId: string }>('/loss-reports', { msisdn, reason: 'holder called the hotline (e2e)' });
      expect(await waitForCase(loss.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold', service: 'done' } });

      // The bank ended the session on the CA's status event.
      expect(await waitUntil(() => refusedWith(bank.account(session.sessionToken), 'SESSION_ENDED'), 20_000, 'session ended')).toMatchObject({
        status: 401,
        details: { endReason: 'CERTIFICATE_ON_HOLD' },
      });
      // The SIM applet is locked: the phone cannot answer at all.
      await expect(bank.login(phone)).rejects.toThrow();

      expect(await refusalOf(bank.submitLogin(atBank.challenge.challengeId, atBank.answer))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_ON_HOLD',
        details: { serial, revocationReason: 'certificateHold', statusSource: 'ocsp' },
      });
      expect(await refusalOf(ticketing.submitEntry('east-1', atOnlineGate.challenge.challengeId, atOnlineGate.answer, { ticketId: tickets[0].ticketId }))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_ON_HOLD',
        details: { statusSource: 'ocsp', mode: 'online' },
      });
      // Offline gate, CRL synchronised before the report: admitted (the documented trade-off).
      expect(
        await ticketing.submitEntry('west-9', atOfflineGateBeforeRefresh.challenge.challengeId, atOfflineGateBeforeRefresh.answer, { ticketId: tickets[0].ticketId }),
      ).toMatchObject({ mode: 'offline', status: { source: 'crl' } });
      // After its sync window the offline gate knows.
      await syncOfflineGate(serial, true);
      expect(
        await refusalOf(ticketing.submitEntry('west-9', atOfflineGateAfterRefresh.challenge.challengeId, atOfflineGateAfterRefresh.answer, { ticketId: tickets[1].ticketId })),
      ).toMatchObject({ status: 403, reason: 'CERTIFICATE_ON_HOLD', details: { statusSource: 'crl', mode: 'offline', revocationReason: 'certificateHold' } });
    }, 120_000);

    it('found report: the bank and both gates accept the phone again', async () => {
      const found = await lifecycle.post<{ caseId: string }>('/found-reports', { msisdn, reason: 'holder found it (e2e)' });
      expect(await waitForCase(found.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'released', service: 'done' } });
      const login = await bank.login(phone);
      expect((await bank.account(login.sessionToken)).session.certificateSerial).toBe(serial);
      const ticket = await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('east-1', phone, { ticketId: ticket.ticketId })).toMatchObject({ status: { source: 'ocsp' } });
      await syncOfflineGate(serial, false);
      const another = await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('west-9', phone, { ticketId: another.ticketId })).toMatchObject({ status: { source: 'crl' } });
    }, 120_000);

    it('address change at the municipality: the card signing certificate is revoked (openssl ocsp: affiliationChanged); the phone keeps its service and the bank login works', async () => {
      const ca = platform.endpoints.ca;
      const signing = citizen.card.certificate('signing');
      const changed = await new HttpJson(ca, platform.operatorToken).post(`/citizens/${citizen.personId}/basic-information-changes`, { address: '大阪府大阪市北区中之島１丁目３番２０号', prefecture: 'Osaka-fu', municipality: 'Osaka-shi' });
      expect(changed).toMatchObject({ changed: [{ serial: formatSerialNumber(decodeCertificate(signing).tbs.serialNumber) }], cascaded: [] });
      const openssl = await OpenSslWorkspace.create();
      try {
        const pem = async (name: string) => (await fetch(`${ca}/ca/${name}.pem`)).text();
        await openssl.write('sign-ca.pem', await pem('digital-signature'));
        await openssl.write('bundle.pem', (await pem('root')) + (await pem('digital-signature')));
        await openssl.write('signing.pem', toPem(signing, 'CERTIFICATE'));
        const { output } = await openssl.run(['ocsp', '-issuer', 'sign-ca.pem', '-cert', 'signing.pem', '-url', `${ca}/ocsp`, '-CAfile', 'bundle.pem']);
        expect(output).toContain('Response verify OK');
        expect(output).toMatch(/signing\.pem: revoked[\s\S]*Reason: affiliationChanged/);
      } finally {
        await openssl.dispose();
      }
      const login = await bank.login(phone);
      expect(login).toMatchObject({ holder: { serial }, status: { source: 'ocsp' } });
      // The CA's status events of one person are ordered (keyed by person): once lifecycle has the phone's hold from a
      // later loss report, it has seen the signing certificate's revocation too, and opened no card case for it.
      const loss = await lifecycle.post<{ caseId: string }>('/loss-reports', { msisdn, reason: 'after the address change (e2e)' });
      expect(await waitForCase(loss.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold', service: 'done' } });
      expect(await lifecycle.get<unknown[]>(`/cases?personId=${citizen.personId}&kind=card-revocation`)).toEqual([]);
      expect(await lifecycle.get(`/phones?serial=${serial}`)).toMatchObject({ certificate: { status: 'on-hold' } });
    }, 60_000);
  });

  const methods: [string, IphoneMethod][] = [
    ['② device-key (Secure Enclave key, attested CSR)', 'device-key'],
    ['① ca-generated (CA key sealed to the attested enclave)', 'ca-generated'],
  ];

  describe.each(methods)('iPhone enrolled by method %s (key after Face ID)', (_label, method) => {
    let phone: ChallengeSigner;
    let serial: string;

    beforeAll(async () => {
      const citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
      const { enrollment, authenticator } = await enrollIphone(platform.endpoints, citizen, { method, vendor: platform.keys.deviceAttestation });
      expect(enrollment).toMatchObject({ status: 'completed', method });
      serial = enrollment.serial!;
      phone = authenticator!.challengeSigner();
      await knownToLifecycle(serial);
    }, 120_000);

    it('logs into the bank and passes the online and the offline gate', async () => {
      const login = await bank.login(phone);
      expect(login).toMatchObject({ holder: { serial, keyType: 'ec' }, status: { source: 'ocsp' } });
      expect((await bank.account(login.sessionToken)).session.certificateSerial).toBe(serial);
      const ticket = await ticketing.buy(EVENT, phone);
      expect(ticket.holder.serial).toBe(serial);
      expect(await ticketing.enter('east-1', phone, { ticketId: ticket.ticketId })).toMatchObject({ status: { source: 'ocsp' } });
      await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('west-9', phone)).toMatchObject({ mode: 'offline', status: { source: 'crl' } });
    });

    it('after a loss report the key still signs, but the bank and both gates refuse it; the session is ended', async () => {
      const session = await bank.login(phone);
      const tickets = [await ticketing.buy(EVENT, phone), await ticketing.buy(EVENT, phone)];
      const loss = await lifecycle.post<{ caseId: string }>('/loss-reports', { serial, reason: 'iPhone lost on the train (e2e)' });
      expect(await waitForCase(loss.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold' } });

      expect(await waitUntil(() => refusedWith(bank.account(session.sessionToken), 'SESSION_ENDED'), 20_000, 'session ended')).toMatchObject({
        details: { endReason: 'CERTIFICATE_ON_HOLD' },
      });
      expect(await refusalOf(bank.login(phone))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_ON_HOLD',
        details: { serial, revocationReason: 'certificateHold', statusSource: 'ocsp' },
      });
      expect(await refusalOf(ticketing.enter('east-1', phone, { ticketId: tickets[0].ticketId }))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_ON_HOLD',
        details: { statusSource: 'ocsp' },
      });
      await syncOfflineGate(serial, true);
      expect(await refusalOf(ticketing.enter('west-9', phone, { ticketId: tickets[1].ticketId }))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_ON_HOLD',
        details: { statusSource: 'crl', mode: 'offline' },
      });
    }, 120_000);

    it('after "found" the bank and both gates accept it again', async () => {
      const found = await lifecycle.post<{ caseId: string }>('/found-reports', { serial, reason: 'found at home (e2e)' });
      expect(await waitForCase(found.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'released' } });
      const login = await bank.login(phone);
      expect((await bank.account(login.sessionToken)).session.certificateSerial).toBe(serial);
      const online = await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('east-1', phone, { ticketId: online.ticketId })).toMatchObject({ status: { source: 'ocsp' } });
      await syncOfflineGate(serial, false);
      const offline = await ticketing.buy(EVENT, phone);
      expect(await ticketing.enter('west-9', phone, { ticketId: offline.ticketId })).toMatchObject({ status: { source: 'crl' } });
    }, 120_000);
  });
});
