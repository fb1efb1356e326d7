import {
  CertificateIssuanceRequested,
  EligibilityRequested,
  OtaScriptRequested,
  ScriptForwarded,
  allTopics,
  seidSchema,
  seKindOf,
  hostCarrierOf,
  messageDefinition,
  physicalTopics,
  registeredMessageTypes,
  topicOf,
  iccidSchema,
  msisdnSchema,
} from '../index';

describe('topic catalogue', () => {
  it('declares unique topic names, with retry and dead-letter companions where messages are consumed through the inbox', () => {
    const names = allTopics().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    const physical = physicalTopics('dev.').map((t) => t.name);
    expect(physical).toContain('dev.ca.commands.retry');
    expect(physical).toContain('dev.mno.kddi.events.dlq');
    expect(physical).toContain('dev.platform.clock');
    expect(physical).not.toContain('dev.platform.clock.retry');
    const companions = allTopics().filter((t) => t.withRetryAndDeadLetter).length;
    expect(physical).toHaveLength(names.length + 2 * companions);
  });

  it('routes every registered message to a declared topic', () => {
    const declared = new Set(allTopics());
    for (const type of registeredMessageTypes()) {
      for (const r of messageDefinition(type)!.routes) expect(declared.has(r.topic)).toBe(true);
    }
  });

  it('sends per-carrier operations to that carrier only', () => {
    const payload = EligibilityRequested.schema.parse({
      requestId: 'enr-123456',
      carrier: 'kddi',
      msisdn: '+819012345678',
      applet: { aid: 'D392F000260100000001', requiredMemoryBytes: 8192 },
    });
    expect(topicOf(EligibilityRequested, payload).name).toBe('mno.kddi.commands');
    expect(topicOf(OtaScriptRequested, { scriptId: 'script-1', carrier: 'softbank', iccid: '8981300000000000001', apdus: ['00A40400'] }).name).toBe(
      'ota.softbank.down',
    );
  });
});

describe('embedded secure elements', () => {
  const eseSeid = 'E50102030405060708AB';

  it('send an operation that names an eSE to the SE-management TSM, and its answer back from it', () => {
    const question = EligibilityRequested.schema.parse({ requestId: 'enr-123456', seid: eseSeid, applet: { aid: 'D392F000260100000001', requiredMemoryBytes: 8192 } });
    expect(topicOf(EligibilityRequested, question).name).toBe('se.commands');
    expect(topicOf(OtaScriptRequested, { scriptId: 'script-1', seid: eseSeid, apdus: ['00A40400'] }).name).toBe('ota.ese.down');
    const answer = { requestId: 'enr-1:fwd', seid: eseSeid, outcome: 'executed', responses: ['9000'] } as const;
    expect(topicOf(ScriptForwarded, ScriptForwarded.schema.parse(answer)).name).toBe('se.events');
    expect(ScriptForwarded.routes.find((r) => r.topic.name === 'se.events')?.producers).toEqual(['se-tsm']);
  });

  it('tell a SEID’s kind from its form, and refuse an eSE id that is not E5 and 18 upper-case hex digits', () => {
    expect(seKindOf(eseSeid)).toBe('ese');
    expect(seKindOf('8981100000000000001')).toBe('uicc');
    expect(seidSchema.safeParse(eseSeid).success).toBe(true);
    expect(seidSchema.safeParse('8981100000000000001').success).toBe(true);
    for (const bad of ['E50102030405060708ab', 'E501020304050607', 'F50102030405060708AB']) expect(seidSchema.safeParse(bad).success).toBe(false);
    expect(OtaScriptRequested.schema.safeParse({ scriptId: 'script-1', seid: '8981100000000000001', apdus: ['00A40400'] }).success).toBe(false);
  });
});

describe('schemas', () => {
  it('accept Japanese mobile numbers and ICCIDs, refuse others', () => {
    expect(msisdnSchema.safeParse('+819012345678').success).toBe(true);
    expect(msisdnSchema.safeParse('+81312345678').success).toBe(false);
    expect(msisdnSchema.safeParse('09012345678').success).toBe(false);
    expect(iccidSchema.safeParse('8981100000000000001').success).toBe(true);
    expect(iccidSchema.safeParse('1234').success).toBe(false);
  });

  it('refuse an issuance request without a key source or with an unknown mode', () => {
    const base = {
      requestId: 'enr-1:issue',
      personId: '6f1c2b9e-3f4a-4b7c-9d2e-1a2b3c4d5e6f',
      enrollmentId: 'enr-1',
      device: { kind: 'sim', iccid: '8981100000000000001', msisdn: '+819012345678', carrier: 'docomo' },
    };
    expect(CertificateIssuanceRequested.schema.safeParse(base).success).toBe(false);
    expect(CertificateIssuanceRequested.schema.safeParse({ ...base, keySource: { mode: 'guess' } }).success).toBe(false);
    expect(CertificateIssuanceRequested.schema.safeParse({ ...base, keySource: { mode: 'ca-generated', recipient: 'sp-tsm' } }).success).toBe(true);
  });

  it('route MVNO subscribers to their host carrier', () => {
    expect(hostCarrierOf('iijmio')).toBe('docomo');
    expect(hostCarrierOf('mineo')).toBe('kddi');
    expect(hostCarrierOf('linemo')).toBe('softbank');
    expect(hostCarrierOf('kddi')).toBe('kddi');
  });
});
