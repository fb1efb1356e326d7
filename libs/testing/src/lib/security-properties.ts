/** The seed's evaluation items 1–11 and the platform-wide properties, each with the tests that demonstrate it (by title). */
export interface JestJson {
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

export interface Property {
  id: string;
  title: string;
  requirement: string;
  tests: RegExp[];
}

export const PROPERTIES: Property[] = [
  { id: '1', title: 'SP domain creation', requirement: 'only an authorised MNO-TSM request for an eligible subscriber creates an SSD; privileges/params recorded', tests: [/^item 1:/, /refuses .* at eligibility/, /SSD creation over OTA|creates the SSD/i] },
  { id: '2', title: 'SP domain isolation', requirement: "an applet or key of one SD cannot touch another SD's content; the ISD cannot read SSD secrets", tests: [/^item 2:/] },
  { id: '3', title: 'SP domain key rules', requirement: "temporary keyset works only until handover; after PUT KEY the MNO's copy is useless; SP keyset scoped to its SD", tests: [/^item 3:/] },
  { id: '4', title: 'SP domain deletion', requirement: 'only the owner (or the MNO on cancellation) deletes; keys, applets and data are gone', tests: [/^item 4:/, /deletes the SSD when it comes back/] },
  { id: '5', title: 'applet registration', requirement: "install only with the SD's authority; recorded install parameters", tests: [/^item 5:/] },
  { id: '6', title: 'secure messaging (applet)', requirement: 'SCP03 key agreement, C-MAC/R-MAC integrity, C-ENC confidentiality; tamper and replay rejected', tests: [/^items 6 and 10/, /pySim/i, /MNO-TSM that (alters|replays) SP script APDUs/] },
  { id: '7', title: 'applet initial data', requirement: 'the applet image carries no secret', tests: [/^item 7:/] },
  { id: '8', title: 'applet deletion', requirement: 'authority checked; key material destroyed', tests: [/^item 8:/] },
  { id: '9', title: 'private-key write', requirement: "only through the SP's SD channel; separate levels for key vs certificate writes", tests: [/^item 9:/] },
  { id: '10', title: 'secure messaging (key)', requirement: 'as 6, for key delivery', tests: [/item 10:/, /delivered key/i] },
  { id: '11', title: "SP's own measures", requirement: 'end-to-end content encryption of key and certificate from the SP to the applet', tests: [/item 11/, /SP transport key fails|SP-TSM never/i] },
  { id: 'A', title: 'PIN retry counters survive restarts', requirement: '63Cx counts down, 6983 when blocked; no restart restores tries', tests: [/PIN counts down .*survives/i, /restart.*PIN|PIN.*restart|keeps the PIN tries|never restored/i] },
  { id: 'B', title: 'failed secure-channel authentications block the keyset', requirement: 'INITIALIZE UPDATE answers 6983 after too many wrong cryptograms', tests: [/blocks the keyset|keyset .*blocked|blocked keyset/i] },
  { id: 'C', title: 'no private key logged or in clear', requirement: 'keys never in logs, events, API responses; encrypted at rest', tests: [/secret fields|redact|never contains|no ISD key bytes|tampered ciphertext|never .*clear|does not open/i] },
  { id: 'D', title: 'services authenticate each other', requirement: 'signed envelopes; only named producers accepted', tests: [/^producer identity/, /PRODUCER_(NOT_AUTHORIZED|SIGNATURE_INVALID)/, /commands from anything but the SP-TSM/, /(unsigned|wrongly signed|forged).*(dead-letter|refus)/i] },
  { id: 'E', title: 'operator actions need a role and are audited', requirement: 'authenticated identity with a role; every action audited, refusals too', tests: [/\(401\)|\(403\)|ROLE_REQUIRED|wrong role/, /audits? (every|refus)|audit log verifies|audit entr/i] },
];

export interface TestResult {
  fullName: string;
  status: string;
  file: string;
}

export type Verdict = 'DEMONSTRATED' | 'PARTLY FAILING' | 'NOT DEMONSTRATED';

/** Every test of a Jest JSON run, with its file relative to the working directory. */
export function testsOf(run: JestJson): TestResult[] {
  return run.testResults.flatMap((f) => f.assertionResults.map((a) => ({ ...a, file: f.name.replace(`${process.cwd()}/`, '') })));
}

/** Each property with the tests matching it and its verdict in that run. */
export function propertyResults(tests: TestResult[]): { property: Property; matched: TestResult[]; passed: TestResult[]; verdict: Verdict }[] {
  return PROPERTIES.map((property) => {
    const matched = tests.filter((t) => property.tests.some((re) => re.test(t.fullName)));
    const passed = matched.filter((t) => t.status === 'passed');
    const verdict: Verdict = passed.length > 0 && passed.length === matched.length ? 'DEMONSTRATED' : passed.length > 0 ? 'PARTLY FAILING' : 'NOT DEMONSTRATED';
    return { property, matched, passed, verdict };
  });
}
