/**
 * Security report: the seed's evaluation items 1–11 and the platform-wide properties, each with the automated tests
 * that demonstrate it, and the attacks tried against the running platform (`attacks.ts`), each with its attack test;
 * all with their result in the last test run.
 *   node -r @swc-node/register tools/security-report/generate.ts [reports/jest.json] [reports/security-report.md]
 * Exits non-zero when a property or an attack has no passing test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ATTACKS } from './attacks';
import { propertyResults, testsOf, type JestJson, type TestResult } from '@jpki/testing';

/** Attack tests run the platform as separate processes; a test elsewhere does not count as the attack's proof. */
const ATTACK_SUITE = 'apps/e2e/src/attacks/';

function main(): void {
  const input = process.argv[2] ?? 'reports/jest.json';
  const output = process.argv[3] ?? 'reports/security-report.md';
  const run = JSON.parse(readFileSync(input, 'utf8')) as JestJson;
  const tests = testsOf(run);
  const lines = ['# Security report', '', `Generated from \`${input}\` (${tests.length} tests).`, ''];
  let missing = 0;
  for (const { property: p, matched, passed, verdict } of propertyResults(tests)) {
    if (verdict !== 'DEMONSTRATED') missing += 1;
    lines.push(`## ${p.id}. ${p.title} — ${verdict}`, '', `_${p.requirement}_`, '');
    for (const t of matched) lines.push(`- ${t.status === 'passed' ? '✅' : '❌'} ${t.fullName} (\`${t.file}\`)`);
    lines.push('');
    console.log(`${p.id.padStart(2)}. ${p.title.padEnd(56)} ${verdict} (${passed.length}/${matched.length} tests)`);
  }
  missing += reportAttacks(tests, lines);
  writeFileSync(output, `${lines.join('\n')}\n`);
  console.log(`security report written to ${output}`);
  process.exitCode = missing === 0 ? 0 : 1;
}

/** Appends "attacks tried: N — bypasses: B"; an attack without a passing test in the attack suite counts as a bypass. */
function reportAttacks(tests: TestResult[], lines: string[]): number {
  const rows = ATTACKS.map((a) => {
    const matched = tests.filter((t) => t.file.startsWith(a.suite ?? ATTACK_SUITE) && new RegExp(`\\b${a.id}:`).test(t.fullName));
    const held = matched.length > 0 && matched.every((t) => t.status === 'passed');
    return { attack: a, matched, held };
  });
  const bypasses = rows.filter((r) => !r.held).length;
  lines.push(`## Attacks tried: ${ATTACKS.length} — bypasses: ${bypasses}`, '');
  lines.push('Each attack runs against the platform as separate processes on the real broker and database and asserts the precise refusal and that nothing changed.', '');
  lines.push('| attack | boundary | what the attacker does → the answer | result | test |', '|---|---|---|---|---|');
  for (const { attack, matched, held } of rows) {
    const where = matched.map((t) => `\`${t.file}\``).filter((f, i, all) => all.indexOf(f) === i).join(', ') || '—';
    lines.push(`| ${attack.id} | ${attack.boundary} | ${attack.title} | ${held ? '✅ refused' : matched.length ? '❌ FAILING' : '❌ NO TEST'} | ${where} |`);
  }
  lines.push('');
  console.log(`attacks tried: ${ATTACKS.length} — bypasses: ${bypasses}`);
  for (const r of rows.filter((x) => !x.held)) console.log(`  ${r.attack.id} ${r.matched.length ? 'has a failing test' : 'has no test'}: ${r.attack.title}`);
  return bypasses;
}

main();
