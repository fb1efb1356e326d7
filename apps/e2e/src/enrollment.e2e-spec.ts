import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CARRIER_PROFILES, CARRIERS, hostCarrierOf, OtaScriptRequested, Topics, type Carrier, type EnrollmentView, type KeyMode, type MvnoId } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, enrollAndAuthenticate, HttpJson, JpkiUiApp } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { startPlatformUnderTest, testKafkaBrokers, TopicWatcher, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { orphans, OtlpReceiver, SpanKinds, type ReceivedSpan } from './otlp-receiver';

/**
 * The seed's central flow with every service as its own process on the real broker and database:
 * one enrollment per carrier plus an MVNO subscriber, both key modes, each ending with a login
 * verified by a relying party (signature, chain to the JPKI user-authentication CA, OCSP). The carriers
 * differ: AES-128/192/256 keysets, S8 and S16 SSDs, 255- and 128-byte OTA APDUs.
 */
describe('e2e: multi-carrier enrollment and authentication', () => {
  let platform: PlatformUnderTest;
  let otaDown: TopicWatcher;
  const collector = new OtlpReceiver();

  beforeAll(async () => {
    await collector.start();
    // docomo's OTA path is narrowed to 128-byte APDU data fields: the SP-TSM must size its wrapped STORE DATA blocks from
    // the eligibility answer, or the MNO-TSM refuses them (APDU_TOO_LARGE).
    platform = await startPlatformUnderTest({
      serviceEnv: { 'mno-tsm-docomo': { MAX_APDU_DATA_BYTES: '128' } },
      // Traces on, exported to this test's receiver (the services batch spans for 200 ms).
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    otaDown = await new TopicWatcher(kafkaClient('ota-down-watch', testKafkaBrokers()), platform.topicPrefix).watch(
      ...CARRIERS.map((c) => Topics.otaDown[c].name),
    );
  }, 120_000);

  afterAll(async () => {
    await otaDown?.stop();
    await platform?.stop();
    await collector.stop();
  });

  /** The one trace holding the enrollment's saga steps, once all its spans arrived (every step exported, no parent missing). */
  async function enrollmentTrace(enrollmentId: string, steps: number): Promise<ReceivedSpan[]> {
    const traceIds = () => [...new Set(collector.spans.filter((s) => String(s.attributes['jpki.saga.id'] ?? '').includes(enrollmentId)).map((s) => s.traceId))];
    const complete = () => {
      const ids = traceIds();
      const trace = ids.length === 1 ? collector.trace(ids[0]) : [];
      // Spans arrive in batches from each service: wait also for the relay's send span of every message consumed.
      const sent = (p: ReceivedSpan) => trace.some((s) => s.parentSpanId === p.parentSpanId && s.attributes['messaging.operation.type'] === 'send');
      const hopsComplete = trace.filter((s) => s.kind === SpanKinds.consumer).every(sent);
      return trace.filter((s) => s.attributes['jpki.saga.id'] === enrollmentId).length >= steps && orphans(trace).length === 0 && hopsComplete && trace;
    };
    const trace = await waitUntil(complete, 20_000, `every span of enrollment ${enrollmentId}, in one trace`);
    expect(traceIds()).toHaveLength(1);
    return trace;
  }

  /** A Kafka hop: the process span continues the message's create span (its traceparent), which the relay's send span follows. */
  function expectKafkaHop(trace: ReceivedSpan[], processed: ReceivedSpan): void {
    const created = trace.find((s) => s.spanId === processed.parentSpanId);
    const topic = processed.attributes['messaging.destination.name'];
    expect(created).toMatchObject({ kind: SpanKinds.producer, name: `create ${topic}`, attributes: { 'messaging.message.id': processed.attributes['messaging.message.id'] } });
    const sent = trace.filter((s) => s.parentSpanId === created?.spanId && s.attributes['messaging.operation.type'] === 'send');
    expect(sent.map((s) => [s.service, s.kind, s.name])).toEqual([[created?.service, SpanKinds.client, `send ${topic}`]]);
  }

  /** Log lines written inside the trace carry its trace id and the id of a span in it. */
  function expectLogLinesOnTheTrace(trace: ReceivedSpan[]): void {
    const spanIds = new Set(trace.map((s) => s.spanId));
    const lines = [...platform.stack.services.values()]
      .flatMap((p) => readFileSync(p.logFile, 'utf8').split('\n'))
      .filter((line) => line.includes(`"traceparent":"00-${trace[0].traceId}-`))
      .map((line) => JSON.parse(line) as { service: string; traceparent: string });
    expect(lines.map((l) => l.service)).toEqual(expect.arrayContaining(['vsim.ota']));
    expect(lines.filter((l) => !spanIds.has(l.traceparent.split('-')[2]))).toEqual([]);
  }

  const phones: [Carrier | MvnoId, KeyMode][] = [
    ['docomo', 'on-card'],
    ['kddi', 'delivered'],
    ['softbank', 'on-card'],
    ['iijmio', 'delivered'],
  ];

  it.each(phones)('enrolls a %s phone (%s key) and logs in with it', async (operator, keyMode) => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const subscriber = await createSubscriber(e, platform.operatorToken, operator);
    const { enrollment, login } = await enrollAndAuthenticate(e, citizen, subscriber, operator, keyMode);

    expect(enrollment).toMatchObject({ status: 'completed', state: 'operational', iccid: subscriber.iccid });
    expect(enrollment.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual([
      'identity-proofing',
      'eligibility',
      'ssd-creation',
      'key-handover',
      'applet-install',
      'key-provisioning',
      'certificate-issuance',
      'certificate-write',
      'activation',
    ]);
    expect(login).toMatchObject({ ok: true, serial: enrollment.serial });

    // Each card operation is one OTA script (a re-send keeps its scriptId): at most six round trips per enrollment,
    // one fewer without the proof of possession.
    const scripts = new Set(
      otaDown.messages
        .map((m) => m.json<{ type: string; payload: { iccid: string; scriptId: string } }>())
        .filter((m) => m.type === OtaScriptRequested.type && m.payload.iccid === subscriber.iccid)
        .map((m) => m.payload.scriptId),
    );
    expect(scripts.size).toBeLessThanOrEqual(keyMode === 'on-card' ? 6 : 5);

    // The CA holds exactly one good phone certificate for this person, bound to this SIM.
    const person = await new HttpJson(e.ca, platform.operatorToken).get<{ certificates: { kind: string; status: string; serial: string; device: { iccid?: string } | null }[] }>(
      `/citizens/${citizen.personId}`,
    );
    const phonesOfPerson = person.certificates.filter((c) => c.kind === 'phone-user-authentication');
    expect(phonesOfPerson).toEqual([expect.objectContaining({ status: 'good', serial: enrollment.serial, device: expect.objectContaining({ iccid: subscriber.iccid }) })]);

    // The SSD runs SCP03 in the host carrier's mode (SoftBank's profile uses S16), and the SP's sessions worked in it.
    const sim = await new HttpJson(e.vsim, platform.operatorToken).get<{ card: { registry: { kind: string; scp03?: { i: string; mode: string } }[] } }>(
      `/sims/${subscriber.iccid}`,
    );
    const mode = CARRIER_PROFILES[hostCarrierOf(operator)].scp03SMode;
    expect(sim.card.registry.filter((r) => r.kind === 'SSD').map((r) => r.scp03)).toEqual([{ i: mode === 16 ? '71' : '70', mode: `S${mode}` }]);

    // One trace from the request that started it, through every Kafka hop, saga step and database call.
    const completed = enrollment.history.filter((h) => h.outcome === 'completed').map((h) => `enrollment ${h.step}`);
    const trace = await enrollmentTrace(enrollment.enrollmentId, completed.length);
    const carrier = hostCarrierOf(operator);
    expect([...new Set(trace.map((s) => s.service))].sort()).toEqual(['jpki-ca', 'lifecycle', `mno-tsm-${carrier}`, 'rp-bank', 'sp-tsm', 'vsim']);
    expect(trace.filter((s) => !s.parentSpanId).map((s) => [s.service, s.kind, s.attributes['http.request.method'], s.attributes['url.path']])).toEqual([
      ['sp-tsm', SpanKinds.server, 'POST', '/enrollments'],
    ]);
    expect(orphans(trace)).toEqual([]);
    expect(new Set(trace.filter((s) => s.service === 'sp-tsm' && s.kind === SpanKinds.internal).map((s) => s.name))).toEqual(new Set(completed));
    const consumed = trace.filter((s) => s.kind === SpanKinds.consumer);
    expect(new Set(consumed.map((s) => s.attributes['messaging.destination.name']))).toEqual(
      new Set(['ca.commands', 'ca.events', `mno.${carrier}.commands`, `mno.${carrier}.events`, `ota.${carrier}.down`, `ota.${carrier}.up`, 'sptsm.events']),
    );
    for (const processed of consumed) expectKafkaHop(trace, processed);
    for (const service of ['sp-tsm', 'jpki-ca', `mno-tsm-${carrier}`, 'vsim', 'lifecycle']) {
      expect(trace.filter((s) => s.service === service && s.attributes['db.system.name'] === 'postgresql').length).toBeGreaterThan(0);
    }
    expectLogLinesOnTheTrace(trace);
  }, 120_000);

  it('answers a follower of an enrollment at its next change (long polling), and 304 when the version it has is still current', async () => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const subscriber = await createSubscriber(e, platform.operatorToken, 'kddi');
    const app = new JpkiUiApp(e);
    const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator: 'kddi', keyMode: 'delivered' });
    const http = new HttpJson(e.spTsm);
    const path = `/enrollments/${started.enrollmentId}`;
    const first = await http.getVersioned<EnrollmentView>(path);
    expect(first.etag).toMatch(/^"v\d+"$/);
    const t0 = Date.now();
    const next = await http.getVersioned<EnrollmentView>(path, first.etag, 20);
    expect(next.etag).not.toEqual(first.etag);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const done = await app.waitForEnrollment(started.enrollmentId);
    expect(done.status).toBe('completed');
    const settled = await http.getVersioned<EnrollmentView>(path);
    const unchanged = await fetch(`${e.spTsm}${path}`, { headers: { 'if-none-match': settled.etag ?? '', prefer: 'wait=1' } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(settled.etag);
    expect(await unchanged.text()).toBe('');
  }, 120_000);

  it("continues a caller's trace context on incoming HTTP", async () => {
    const [traceId, callerSpanId] = [randomBytes(16).toString('hex'), randomBytes(8).toString('hex')];
    const res = await fetch(`${platform.endpoints.spTsm}/enrollments/enr-unknown`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(res.status).toBe(404);
    await waitUntil(() => collector.trace(traceId).length > 0, 10_000, 'the server span of the call');
    expect(collector.trace(traceId).filter((s) => s.kind === SpanKinds.server)).toEqual([
      expect.objectContaining({ service: 'sp-tsm', parentSpanId: callerSpanId, attributes: expect.objectContaining({ 'url.path': '/enrollments/enr-unknown' }) }),
    ]);
  });
});
