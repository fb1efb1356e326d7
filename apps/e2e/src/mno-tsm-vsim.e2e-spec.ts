import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EligibilityAnswered,
  EligibilityRequested,
  Headers,
  ScriptForwarded,
  ScriptForwardRequested,
  SsdCreated,
  SsdCreationRequested,
  Topics,
  topicOf,
  type MessageDefinition,
  type PayloadOf,
} from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import {
  buildGetStatus,
  buildPutKey,
  CommandApdu,
  fromHex,
  GetStatusScope,
  GpSession,
  hex,
  Ins,
  Scp03KeySet,
  ScriptStopped,
  SecurityLevel,
  Sw,
  type ScriptTransport,
} from '@jpki/globalplatform';
import { ensureTopics, kafkaClient, ProducerIdentity } from '@jpki/messaging';
import {
  rawProducer,
  ServiceStack,
  StackKeys,
  testDatabaseUrl,
  testKafkaBrokers,
  testSchema,
  testTopicPrefix,
  TopicWatcher,
  waitUntil,
} from '@jpki/testing';

const SSD = 'A0000005591010FFFFFFFF8900000300';
const MNO = 'mno-tsm-kddi';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * vsim and mno-tsm-kddi as separate processes on the real broker and database: a subscriber is
 * seeded (the SIM is manufactured in the vsim), a test "sp-tsm" asks for eligibility and an SSD,
 * opens the sealed temporary keyset and proves with a host GpSession over
 * `mno.script.forward-requested` that those keys authenticate to the new SSD on the vsim's card.
 */
describe('e2e: mno-tsm-kddi ↔ vsim over the OTA bearer', () => {
  // Topics under a sub-prefix of this run's prefix: no other test's consumers (e.g. a vsim
  // integration test in the same consumer group name) share these topics.
  const sub = `e2e${randomBytes(3).toString('hex')}.`;
  const prefix = `${testTopicPrefix()}${sub}`;
  const keys = new StackKeys(['vsim', MNO, 'sp-tsm']);
  let stack: ServiceStack;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  let mnoUrl: string;
  let vsimUrl: string;
  const events = `${sub}${Topics.mnoEvents.kddi.name}`;
  const sp = ProducerIdentity.fromBase64Pkcs8('sp-tsm', keys.keys.get('sp-tsm')!.signingPkcs8);
  const operator = { authorization: `Bearer ${keys.operatorToken('e2e@ops', ['operator', 'integrator', 'auditor'])}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafkaClient('e2e-setup', testKafkaBrokers()), prefix);
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
    stack = new ServiceStack({
      databaseUrl: testDatabaseUrl(),
      kafkaBrokers: testKafkaBrokers().join(','),
      topicPrefix: prefix,
      logDir: join(tmpdir(), `jpki-e2e-${sub.slice(0, -1)}`),
      keys,
      env: { LOG_LEVEL: 'warn' },
    });
    const vsim = stack.add({ name: 'vsim', app: 'vsim', port: await freePort(), schema: testSchema('e2e_vsim'), env: { OTA_BEARER: 'kddi:latency=5' } });
    const mno = stack.add({
      name: MNO,
      app: 'mno-tsm',
      port: await freePort(),
      schema: testSchema('e2e_mno_kddi'),
      env: { CARRIER: 'kddi', ISD_MASTER_KEY: randomBytes(24).toString('hex') },
    });
    watcher = await new TopicWatcher().watch(events);
    producer = await rawProducer();
    await stack.startAll();
    mnoUrl = mno.url;
    vsimUrl = vsim.url;
  }, 120_000);

  afterAll(async () => {
    await watcher?.stop();
    await producer?.disconnect();
    await stack?.stopAll();
  });

  const send = async <D extends MessageDefinition>(def: D, payload: PayloadOf<D>) => {
    const unsigned = {
      messageId: randomUUID(),
      type: def.type,
      schemaVersion: def.schemaVersion,
      correlationId: `e2e-${randomUUID()}`,
      causationId: null,
      occurredAt: new Date().toISOString(),
      producer: 'sp-tsm',
      payload,
    };
    const envelope = { ...unsigned, signature: sp.sign(unsigned) };
    await producer.sendTo(`${sub}${topicOf(def, payload).name}`, [
      { key: def.key(payload), value: JSON.stringify(envelope), headers: { [Headers.messageId]: envelope.messageId, [Headers.messageType]: def.type } },
    ]);
  };
  const reply = async (requestId: string, timeoutMs = 60_000) =>
    (
      await watcher.waitFor((m) => m.topic === events && m.json<{ payload: { requestId?: string } }>().payload.requestId === requestId, timeoutMs, `reply to ${requestId}`)
    ).json<{ type: string; payload: Record<string, unknown> }>();

  /** The SP-TSM's host session transport: one script per forward request, through the MNO-TSM and the OTA bearer to the vsim. */
  const forward =
    (iccid: string): ScriptTransport =>
    async (apdus) => {
      const requestId = `fwd-${randomUUID()}`;
      await send(ScriptForwardRequested, { requestId, carrier: 'kddi', iccid, apdus: apdus.map((a) => hex(a)) });
      const r = await reply(requestId);
      if (r.type !== ScriptForwarded.type || r.payload['outcome'] !== 'executed') throw new Error(`forwarding failed: ${JSON.stringify(r)}`);
      return (r.payload['responses'] as string[]).map((response) => fromHex(response));
    };

  it('seeds a subscriber, answers eligibility, creates the SSD, and the sealed temporary keyset authenticates to it', async () => {
    // 1. Seed: the MNO-TSM allocates the ICCID and ISD keyset; the vsim manufactures the card.
    const created = await fetch(`${mnoUrl}/subscribers`, { method: 'POST', headers: operator, body: JSON.stringify({ mvno: 'mineo' }) });
    expect(created.status).toBe(201);
    const { msisdn, iccid } = (await created.json()) as { msisdn: string; iccid: string };
    await waitUntil(
      async () => ((await (await fetch(`${mnoUrl}/subscribers/${encodeURIComponent(msisdn)}`, { headers: operator })).json()) as { status: string }).status === 'active',
      30_000,
      'subscriber active',
    );
    const card = await fetch(`${vsimUrl}/sims/${iccid}`, { headers: operator });
    expect(card.status).toBe(200);

    // 2. Eligibility (the MVNO subscriber is asked for with its MVNO; free memory comes from the card).
    const eligibilityId = `e2e-elig-${randomUUID()}`;
    await send(EligibilityRequested, { requestId: eligibilityId, carrier: 'kddi', msisdn, mvno: 'mineo', applet: { aid: 'D392F000260100000101', requiredMemoryBytes: 20_000 } });
    const eligible = await reply(eligibilityId);
    expect(eligible).toMatchObject({ type: EligibilityAnswered.type, payload: { eligible: true, iccid, mvno: 'mineo', scp03KeyBytes: 24 } });

    // 3. SSD creation with a temporary keyset sealed to the SP-TSM.
    const ssdId = `e2e-ssd-${randomUUID()}`;
    await send(SsdCreationRequested, { requestId: ssdId, carrier: 'kddi', iccid, ssdAid: SSD, keysetRecipient: 'sp-tsm' });
    const ssd = await reply(ssdId);
    expect(ssd.type).toBe(SsdCreated.type);
    const payload = ssd.payload as PayloadOf<typeof SsdCreated>;
    const json = JSON.parse(
      open(payload.temporaryKeyset, 'sp-tsm', transportPrivateKey(keys.keys.get('sp-tsm')!.transportPkcs8), `ssd-keyset/${iccid}/${SSD}`).toString('utf8'),
    );
    const temp = new Scp03KeySet(json.kvn, fromHex(json.enc), fromHex(json.mac), fromHex(json.dek));
    expect(temp.kvn).toBe(payload.kvn);
    expect(temp.keyLength).toBe(24);

    // 4. The SP-TSM's host GpSession over forwarded scripts: SCP03 with the temporary keys (the new SSD holds no
    // application: GET STATUS answers 6A88), then key handover, then a session with the SP's own keys.
    const ssdAid = fromHex(SSD);
    const inSsd = (keys: Scp03KeySet, securityLevel: number, commands: CommandApdu[]) =>
      new GpSession(forward(iccid), ssdAid, keys, { securityLevel }).run((script, session) => {
        script.select(ssdAid);
        return session(ssdAid, commands);
      });
    const applications = await inSsd(temp, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC, [buildGetStatus(GetStatusScope.APPLICATIONS)]).catch((e: unknown) => e);
    expect(applications).toBeInstanceOf(ScriptStopped);
    expect(applications).toMatchObject({ sw: Sw.REFERENCED_DATA_NOT_FOUND, command: { ins: Ins.GET_STATUS } });
    const spKeys = new Scp03KeySet(0x31, randomBytes(24), randomBytes(24), randomBytes(24));
    const handover = await inSsd(temp, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC, [buildPutKey(spKeys, temp.dek, temp.kvn)]);
    const spKcvs = spKeys.kcvs();
    expect(hex(handover.data[0])).toBe(hex(Buffer.concat([Buffer.from([spKeys.kvn]), spKcvs.enc, spKcvs.mac, spKcvs.dek])));
    await inSsd(spKeys, SecurityLevel.C_MAC, []);

    // The MNO-TSM recorded the handover (who, when, KCVs) and holds no key material.
    const sim = (await (await fetch(`${mnoUrl}/sims/${iccid}`, { headers: operator })).json()) as { ssds: Record<string, unknown>[] };
    const kcv = temp.kcvs();
    expect(sim.ssds[0]).toMatchObject({ ssdAid: SSD, state: 'created', keysetRecipient: 'sp-tsm', keysStoredByMno: false, temporaryKcvs: { enc: hex(kcv.enc), mac: hex(kcv.mac), dek: hex(kcv.dek) } });
  }, 180_000);
});
