import { randomBytes } from 'node:crypto';
import {
  createSubscriber,
  createTestCitizen,
  enrollAndAuthenticate,
  HttpJson,
  refusalOf,
  simChallengeSigner,
  TicketingClient,
  type ChallengeSigner,
  type TestCitizen,
} from '@jpki/jpki-client';
import { startPlatformUnderTest, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { startTicketing, type TicketingUnderTest } from './test/ticketing-harness';

const PIN = '2580';
const EVENT = 'budokan-2026-12-24';


/**
 * rp-ticketing on the real broker and database against a platform (CA, SP-TSM, docomo MNO-TSM, vSIM) with
 * a SIM phone enrolled through the real saga: purchase bound to the certificate, online (OCSP) and offline
 * (cached CRL) gates, single entry, replay, hold/release as each gate sees it, CRL freshness, OCSP outage.
 */
describe('rp-ticketing (integration)', () => {
  let platform: PlatformUnderTest;
  let rp: TicketingUnderTest;
  let client: TicketingClient;
  let citizen: TestCitizen;
  let serial: string;
  let phone: ChallengeSigner;
  let card: ChallengeSigner;
  const ca = () => new HttpJson(platform.endpoints.ca, platform.operatorToken);
  const crlNumber = async () => Number((await fetch(`${platform.endpoints.ca}/crl/user-authentication.crl`)).headers.get('x-crl-number'));

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim'], serviceEnv: { 'jpki-ca': { CRL_DEBOUNCE_MS: '50', KEY_POOL_SIZE: '2', CARD_FILE_KDF_LOG2N: '10' } } });
    rp = await startTicketing(platform);
    client = new TicketingClient(rp.url, platform.operatorToken);
    citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const { enrollment } = await enrollAndAuthenticate(platform.endpoints, citizen, subscriber, 'docomo', 'on-card', undefined, PIN);
    expect(enrollment.status).toBe('completed');
    serial = enrollment.serial!;
    phone = simChallengeSigner(platform.endpoints, subscriber.handset, PIN);
    card = async (challenge) => ({ signature: await citizen.card.signChallenge(citizen.cardPin, challenge), certificate: citizen.card.certificate('user-authentication') });
    await client.configureGate('online-1', { eventId: EVENT, mode: 'online' });
    await client.configureGate('offline-1', { eventId: EVENT, mode: 'offline', crlMaxAgeSeconds: 600 });
  }, 180_000);

  afterAll(async () => {
    await rp?.close();
    await platform?.stop();
  });

  it('binds a ticket to the buyer’s certificate and admits it once at an online gate (OCSP)', async () => {
    const ticket = await client.buy(EVENT, phone);
    expect(ticket).toMatchObject({ eventId: EVENT, status: 'valid', holder: { serial } });
    const entry = await client.enter('online-1', phone, { ticketId: ticket.ticketId });
    expect(entry).toMatchObject({ ticketId: ticket.ticketId, mode: 'online', status: { source: 'ocsp' } });
    expect(await client.ticket(ticket.ticketId)).toMatchObject({ status: 'used', usedAtGate: 'online-1' });
    expect(await refusalOf(client.enter('online-1', phone, { ticketId: ticket.ticketId }))).toMatchObject({ status: 409, reason: 'TICKET_ALREADY_USED' });
  });

  it('admits at an offline gate from its cached CRL, finding the ticket by the presented certificate', async () => {
    const ticket = await client.buy(EVENT, phone);
    const gate = await client.gate('offline-1');
    expect(gate).toMatchObject({ mode: 'offline', crl: { fresh: true } });
    const entry = await client.enter('offline-1', phone);
    expect(entry).toMatchObject({ ticketId: ticket.ticketId, mode: 'offline', status: { source: 'crl', crlNumber: gate.crl!.crlNumber } });
  });

  it('refuses a replayed gate challenge, a challenge of another gate, someone else’s key and a ticket of another event', async () => {
    const ticket = await client.buy(EVENT, phone);
    const { challengeId, challenge } = await client.gateChallenge('online-1');
    const answer = await phone(Buffer.from(challenge, 'base64'));
    // Someone else (the card's key) cannot use the phone's ticket: the signature must verify with the bound certificate.
    const other = await card(Buffer.from(challenge, 'base64'));
    expect(await refusalOf(client.submitEntry('online-1', challengeId, other, { ticketId: ticket.ticketId }))).toMatchObject({ status: 401, reason: 'SIGNATURE_INVALID' });
    // The challenge is used up by that attempt: the right answer now is a replay.
    expect(await refusalOf(client.submitEntry('online-1', challengeId, answer, { ticketId: ticket.ticketId }))).toMatchObject({ status: 409, reason: 'CHALLENGE_REPLAYED' });
    const atOther = await client.gateChallenge('offline-1');
    expect(await refusalOf(client.submitEntry('online-1', atOther.challengeId, answer, { ticketId: ticket.ticketId }))).toMatchObject({ status: 409, reason: 'CHALLENGE_UNKNOWN' });
    const fresh = await client.gateChallenge('online-1');
    const cardAnswer = await card(Buffer.from(fresh.challenge, 'base64'));
    expect(await refusalOf(client.submitEntry('online-1', fresh.challengeId, cardAnswer, { ticketId: ticket.ticketId, presentCertificate: true }))).toMatchObject({
      status: 403,
      reason: 'HOLDER_MISMATCH',
    });
    await client.configureGate('other-event', { eventId: 'another-event', mode: 'online' });
    expect(await refusalOf(client.enter('other-event', phone, { ticketId: ticket.ticketId }))).toMatchObject({ status: 403, reason: 'TICKET_NOT_FOR_THIS_EVENT' });
    expect(await client.enter('online-1', phone, { ticketId: ticket.ticketId })).toMatchObject({ ticketId: ticket.ticketId });
    const attempts = await rp.dataSource.query(`SELECT outcome FROM entry_attempt WHERE ticket_id = $1 ORDER BY at`, [ticket.ticketId]);
    expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['SIGNATURE_INVALID', 'HOLDER_MISMATCH', 'TICKET_NOT_FOR_THIS_EVENT', 'ADMITTED']);
  });

  it('hold: the online gate refuses at once; the offline gate admits until its CRL refresh shows the hold; release reverses both', async () => {
    const tickets = [];
    for (let i = 0; i < 3; i++) tickets.push(await client.buy(EVENT, phone));
    await client.refreshGateCrl('offline-1');
    const before = await crlNumber();
    await ca().post(`/certificates/${serial}/revocation`, { reason: 'certificateHold', comment: 'loss report (test)' });

    expect(await refusalOf(client.enter('online-1', phone, { ticketId: tickets[0].ticketId }))).toMatchObject({
      status: 403,
      reason: 'CERTIFICATE_ON_HOLD',
      details: { statusSource: 'ocsp', revocationReason: 'certificateHold', mode: 'online' },
    });
    // The trade-off of an offline gate: it does not know yet.
    expect(await client.enter('offline-1', phone, { ticketId: tickets[0].ticketId })).toMatchObject({ status: { source: 'crl' } });

    await waitUntil(async () => (await crlNumber()) > before, 10_000, 'a CRL with the hold');
    const refreshed = await client.refreshGateCrl('offline-1');
    expect(refreshed.sync.kind).toBe('delta');
    expect(refreshed.crl).toMatchObject({ fresh: true, revokedEntries: 1 });
    expect(await refusalOf(client.enter('offline-1', phone, { ticketId: tickets[1].ticketId }))).toMatchObject({
      status: 403,
      reason: 'CERTIFICATE_ON_HOLD',
      details: { statusSource: 'crl', revocationReason: 'certificateHold', mode: 'offline' },
    });

    const held = await crlNumber();
    await ca().post(`/certificates/${serial}/hold-release`, {});
    expect(await client.enter('online-1', phone, { ticketId: tickets[1].ticketId })).toMatchObject({ status: { source: 'ocsp' } });
    expect(await refusalOf(client.enter('offline-1', phone, { ticketId: tickets[2].ticketId }))).toMatchObject({ reason: 'CERTIFICATE_ON_HOLD' });
    await waitUntil(async () => (await crlNumber()) > held, 10_000, 'a CRL with the release');
    const released = await client.refreshGateCrl('offline-1');
    expect(released.crl).toMatchObject({ revokedEntries: 0 });
    expect(await client.enter('offline-1', phone, { ticketId: tickets[2].ticketId })).toMatchObject({ status: { source: 'crl' } });
  }, 60_000);

  it('refuses everyone with CRL_STALE when the offline gate’s cache is older than its limit', async () => {
    const ticket = await client.buy(EVENT, phone);
    await client.configureGate('offline-stale', { eventId: EVENT, mode: 'offline', crlMaxAgeSeconds: 30 });
    await rp.dataSource.query(`UPDATE gate_crl SET fetched_at = fetched_at - interval '31 seconds' WHERE gate_id = 'offline-stale'`);
    expect(await client.gate('offline-stale')).toMatchObject({ crl: { fresh: false, staleDetail: expect.stringContaining('limit 30 s') } });
    expect(await refusalOf(client.enter('offline-stale', phone, { ticketId: ticket.ticketId }))).toMatchObject({ status: 503, reason: 'CRL_STALE' });
    await client.refreshGateCrl('offline-stale');
    expect(await client.enter('offline-stale', phone, { ticketId: ticket.ticketId })).toMatchObject({ status: { source: 'crl' } });
  });

  it('an online gate whose OCSP responder is unreachable falls back to the shared cached CRL (replica without the CA)', async () => {
    const ticket = await client.buy(EVENT, phone);
    await client.refreshGateCrl('online-1');
    const cut = await startTicketing(platform, { DB_SCHEMA: rp.schema, JPKI_CA_URL: 'http://127.0.0.1:9', CA_HTTP_TIMEOUT_MS: '300' });
    try {
      const entry = await new TicketingClient(cut.url).enter('online-1', phone, { ticketId: ticket.ticketId });
      expect(entry).toMatchObject({ mode: 'online', status: { source: 'crl', note: expect.stringContaining('unavailable') } });
      // Nothing cached: a purchase (always online) fails closed, and so does a gate set up without the CA.
      const cutClient = new TicketingClient(cut.url, platform.operatorToken);
      expect(await refusalOf(cutClient.buy(EVENT, phone))).toMatchObject({ status: 503, reason: 'STATUS_UNAVAILABLE' });
      expect(await cutClient.configureGate('never-synced', { eventId: EVENT, mode: 'offline' })).toMatchObject({ crl: null });
      expect(await refusalOf(cutClient.enter('never-synced', phone, { ticketId: ticket.ticketId }))).toMatchObject({ status: 503, reason: 'CRL_UNAVAILABLE' });
      expect(await refusalOf(cutClient.refreshGateCrl('never-synced'))).toMatchObject({ status: 503, reason: 'CA_UNREACHABLE' });
    } finally {
      await cut.close();
    }
  });

  it('refuses gate administration without the operator role and a purchase with a bad signature', async () => {
    expect(await refusalOf(new TicketingClient(rp.url).configureGate('x', { eventId: EVENT, mode: 'online' }))).toMatchObject({ status: 401, reason: 'AUTH_REQUIRED' });
    const { challengeId } = await client.purchaseChallenge();
    expect(await refusalOf(client.submitPurchase(EVENT, challengeId, await phone(randomBytes(32))))).toMatchObject({ status: 401, reason: 'SIGNATURE_INVALID' });
  });
});
