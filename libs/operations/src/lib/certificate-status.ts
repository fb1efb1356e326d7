import type { CheckContext, InvariantCheck, Row } from './invariants';
import type { OpenSslRunner, PlatformServices } from './platform-services';

interface CaCertificate {
  serial: string;
  issuer_ca: string;
  der: Buffer;
  status: 'good' | 'on-hold' | 'revoked';
  revocation_reason: string | null;
}

/** What a relying party is told about one certificate: status and reason as OpenSSL reads them. */
interface Heard {
  status: string;
  reason?: string;
}

const DEFAULT_SAMPLE = 50;
/** The responder answers at most this many CertIDs in one request (jpki-ca OCSP_MAX_CERT_IDS). */
const CERT_IDS_PER_REQUEST = 20;
const VERIFIED = /Response verify OK/;
const RETRY_MS = 2_000;

/**
 * A sample of certificates (the most recently issued or changed first) judged by the OpenSSL CLI: the CA's OCSP
 * responder (`openssl ocsp`, response signature verified) and its latest CRL (`openssl crl`, signature verified)
 * must say what the CA's own table says, and lifecycle's read model must agree for the phone certificates it knows
 * (on hold ↔ revoked with certificateHold, revoked ↔ the same reason). Changes within the grace period are left out.
 */
export const certificateStatusAgrees: InvariantCheck = {
  name: 'ocsp-and-crl-agree-with-ca-and-lifecycle',
  description: "OpenSSL reads from the CA's OCSP responder and latest CRL the status and reason the CA and lifecycle record, for a sample of certificates",
  requires: 'services',
  run: async (ctx) => {
    if (!ctx.present.has(ctx.schemas.ca) || !ctx.services) return [];
    const sample = await sampleCertificates(ctx, ctx.services.certificateSample ?? DEFAULT_SAMPLE);
    const lifecycle = await lifecycleStatuses(ctx, sample.map((c) => c.serial));
    const violations: Row[] = [];
    for (const issuer of new Set(sample.map((c) => c.issuer_ca))) {
      const certificates = sample.filter((c) => c.issuer_ca === issuer);
      const judge = await issuerJudge(ctx.services, issuer);
      const crl = await judge.crl();
      if (!crl.verified) violations.push({ issuer, problem: `the ${issuer} CRL does not verify against the CA certificates` });
      const ocsp = await judge.ocsp(certificates);
      violations.push(...ocsp.unverified);
      for (const c of certificates) {
        const expected = expectedStatus(c);
        const problems = [
          ...disagreement('OCSP', expected, ocsp.get(c.serial)),
          ...disagreement('CRL', expected, crlEntry(crl.entries, c.serial)),
          ...lifecycleDisagreement(c, lifecycle.get(c.serial)),
        ];
        violations.push(...problems.map((problem) => ({ serial: c.serial, problem })));
      }
    }
    return violations;
  },
};

async function sampleCertificates(ctx: CheckContext, size: number): Promise<CaCertificate[]> {
  const ca = `"${ctx.schemas.ca}"`;
  return (await ctx.query(
    `SELECT c.serial, c.issuer_ca, c.der, c.status, c.revocation_reason FROM ${ca}.certificate c
     WHERE c.issued_at < now() - make_interval(secs => $1)
       AND NOT EXISTS (SELECT 1 FROM ${ca}.status_change sc WHERE sc.serial = c.serial AND sc.changed_at > now() - make_interval(secs => $1))
     ORDER BY c.status_version DESC LIMIT $2`,
    [ctx.graceSeconds, size],
  )) as unknown as CaCertificate[];
}

async function lifecycleStatuses(ctx: CheckContext, serials: string[]): Promise<Map<string, { status: string; reason: string | null }>> {
  if (!ctx.present.has(ctx.schemas.lifecycle)) return new Map();
  const rows = await ctx.query(`SELECT serial, status, revocation_reason FROM "${ctx.schemas.lifecycle}".phone_certificate WHERE serial = ANY($1)`, [serials]);
  return new Map(rows.map((r) => [String(r['serial']), { status: String(r['status']), reason: (r['revocation_reason'] as string | null) ?? null }]));
}

/** What OCSP and the CRL must say: a hold is `revoked` with reason certificateHold (RFC 5280). */
function expectedStatus(c: CaCertificate): Heard {
  if (c.status === 'good') return { status: 'good' };
  return { status: 'revoked', reason: c.status === 'on-hold' ? 'certificateHold' : (c.revocation_reason ?? 'unspecified') };
}

function disagreement(source: string, expected: Heard, heard: Heard | undefined): string[] {
  const said = heard ? `${heard.status}${heard.reason ? ` (${heard.reason})` : ''}` : 'nothing';
  const wanted = `${expected.status}${expected.reason ? ` (${expected.reason})` : ''}`;
  const sameReason = (heard?.reason ?? 'unspecified') === (expected.reason ?? 'unspecified') || expected.status === 'good';
  return heard?.status === expected.status && sameReason ? [] : [`${source} says ${said}, the CA records ${wanted}`];
}

function lifecycleDisagreement(c: CaCertificate, known: { status: string; reason: string | null } | undefined): string[] {
  if (!known) return [];
  const sameReason = c.status !== 'revoked' || known.reason === null || known.reason === c.revocation_reason;
  return known.status === c.status && sameReason ? [] : [`lifecycle records ${known.status}${known.reason ? ` (${known.reason})` : ''}, the CA ${c.status}${c.revocation_reason ? ` (${c.revocation_reason})` : ''}`];
}

/** A CRL entry as a status: listed is revoked, with the reason OpenSSL prints ("Certificate Hold" → certificateHold). */
function crlEntry(entries: Map<string, string | undefined>, serial: string): Heard {
  const key = normalSerial(serial);
  if (!entries.has(key)) return { status: 'good' };
  const words = entries.get(key);
  return { status: 'revoked', reason: words === undefined ? undefined : words.charAt(0).toLowerCase() + words.slice(1).replace(/ (\w)/g, (_, ch: string) => ch.toUpperCase()) };
}

const normalSerial = (serial: string) => serial.toUpperCase().replace(/^0+/, '');
/** PEM for openssl; no empty line before the footer when the base64 fills its last line (OpenSSL refuses one). */
export const toPem = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;

/**
 * OpenSSL verifies at the environment's time (`-attime`: the responder's certificate may be issued after a clock move),
 * and takes a thisUpdate that far ahead of this machine as current (`-validity_period`, 5 minutes by default).
 */
function simulatedTime(now: Date): string[] {
  const aheadSeconds = Math.ceil(Math.max(0, now.getTime() - Date.now()) / 1000);
  return ['-attime', String(Math.floor(now.getTime() / 1000)), '-validity_period', String(aheadSeconds + 300)];
}

/** `openssl ocsp` and `openssl crl` for one issuing CA, its certificate and the root written to the workspace. */
async function issuerJudge(services: PlatformServices, issuer: string) {
  const openssl: OpenSslRunner = services.openssl;
  const fetched = async (path: string) => {
    const res = await fetch(`${services.caUrl}${path}`);
    if (!res.ok) throw new Error(`CA GET ${path}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  const issuerPem = await openssl.write(`${issuer}.pem`, await fetched(`/ca/${issuer}.pem`));
  const bundle = await openssl.write(`${issuer}-bundle.pem`, Buffer.concat([await fetched('/ca/root.pem'), await fetched(`/ca/${issuer}.pem`)]));
  return {
    async ocsp(certificates: CaCertificate[]): Promise<Map<string, Heard> & { unverified: Row[] }> {
      const heard = Object.assign(new Map<string, Heard>(), { unverified: [] as Row[] });
      for (let i = 0; i < certificates.length; i += CERT_IDS_PER_REQUEST) {
        const batch = certificates.slice(i, i + CERT_IDS_PER_REQUEST);
        const files = await Promise.all(batch.map((c) => openssl.write(`${c.serial}.pem`, toPem(c.der))));
        const at = services.now ? simulatedTime(services.now()) : [];
        const ask = () => openssl.run(['ocsp', '-issuer', issuerPem, ...files.flatMap((f) => ['-cert', f]), '-url', `${services.caUrl}/ocsp`, '-CAfile', bundle, ...at]);
        // A responder that just restarted may refuse the connection: asked once more before the answer counts.
        let { output } = await ask();
        if (!VERIFIED.test(output)) output = await new Promise<void>((r) => setTimeout(r, RETRY_MS)).then(async () => (await ask()).output);
        // An unverified response is no answer: its statuses are not taken, and OpenSSL's words say why.
        if (!VERIFIED.test(output)) {
          heard.unverified.push({ issuer, serials: batch.map((c) => c.serial), problem: `the OCSP answer does not verify: ${output.trim().split('\n').slice(-3).join(' | ')}` });
          continue;
        }
        for (const c of batch) {
          const block = new RegExp(`${c.serial}\\.pem: (good|revoked|unknown)([\\s\\S]*?)(?=\\n\\S|$)`).exec(output);
          if (block) heard.set(c.serial, { status: block[1], reason: /Reason: (\w+)/.exec(block[2])?.[1] });
        }
      }
      return heard;
    },
    async crl(): Promise<{ verified: boolean; entries: Map<string, string | undefined> }> {
      const file = await openssl.write(`${issuer}.crl`, await fetched(`/crl/${issuer}.crl`));
      const { output } = await openssl.run(['crl', '-inform', 'DER', '-in', file, '-CAfile', bundle, '-noout', '-text']);
      const entries = new Map<string, string | undefined>();
      for (const block of output.split(/Serial Number: /).slice(1)) {
        const serial = /^([0-9A-F]+)/i.exec(block)?.[1];
        if (serial) entries.set(normalSerial(serial), /X509v3 CRL Reason Code:\s*\n\s*([^\n]+)/.exec(block)?.[1]?.trim());
      }
      return { verified: /verify OK/.test(output), entries };
    },
  };
}
