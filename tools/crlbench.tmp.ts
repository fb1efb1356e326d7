import { issueCrl } from '@jpki/pki';
import { buildCertificateList } from '../libs/pki/src/lib/crl/crl';
import { createTestHierarchy } from '../libs/pki/src/lib/testing/test-hierarchy';
async function main() {
  const pki = await createTestHierarchy();
  for (const n of (process.env.NS ?? "10,100,1000,3000").split(",").map(Number)) {
    const entries = Array.from({ length: n }, (_, i) => ({ serialNumber: BigInt(1000 + i) * 7919n, revocationDate: new Date(pki.now.getTime() - 1000 * i), reason: 'certificateHold' as const }));
    const req = { issuer: pki.userAuthenticationCa, crlNumber: 5n, thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + 86400000), entries, deltaCrlUri: 'http://x/delta.crl' };
    await issueCrl(req);
    const t = performance.now(); const k = 5;
    for (let i = 0; i < k; i++) await issueCrl(req);
    const per = (performance.now() - t) / k;
    const t2 = performance.now(); for (let i = 0; i < k; i++) buildCertificateList(req);
    console.log(n, 'entries: issueCrl', per.toFixed(1), 'ms; build only', ((performance.now() - t2) / k).toFixed(1), 'ms');
  }
}
main();
