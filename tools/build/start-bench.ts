/**
 * Start-up cost of the services: starts the whole platform (every service its own process, on its own topics, schemas
 * and ports), then times the first citizen, the first enrollment + authentication and a second one, and reads each
 * service's resident memory. `JPKI_RUN_FROM=ts` starts the services from TypeScript (@swc-node/register) instead of
 * dist/node, for the comparison:
 *   node -r @swc-node/register tools/build/start-bench.ts            (compiled output, built first if stale)
 *   JPKI_RUN_FROM=ts node -r @swc-node/register tools/build/start-bench.ts
 */
import { createSubscriber, createTestCitizen, enrollAndAuthenticate } from '@jpki/jpki-client';
import { PLATFORM_SERVICES } from '@jpki/testing';
import { processCpu, runAsScript, startBenchPlatform } from '../bench/bench-support';

const services = () => processCpu().services;

async function run(): Promise<void> {
  const from = process.env['JPKI_RUN_FROM'] === 'ts' ? 'ts (@swc-node/register)' : 'dist/node (compiled)';
  const t0 = Date.now();
  const platform = await startBenchPlatform([...PLATFORM_SERVICES], 'error');
  const startMs = Date.now() - t0;
  const atReady = services();
  try {
    const e = platform.endpoints;
    const token = platform.keys.operatorToken('start-bench', ['integrator', 'operator']);
    const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
      const t = Date.now();
      return [await f(), Date.now() - t];
    };
    const [citizen, citizenMs] = await timed(() => createTestCitizen(e, token));
    const beforeFirst = services();
    const [first, firstMs] = await timed(async () => enrollAndAuthenticate(e, citizen, await createSubscriber(e, token, 'kddi'), 'kddi', 'on-card'));
    const afterFirst = services();
    const citizen2 = await createTestCitizen(e, token);
    const beforeSecond = services();
    const [second, secondMs] = await timed(async () => enrollAndAuthenticate(e, citizen2, await createSubscriber(e, token, 'kddi'), 'kddi', 'on-card'));
    const afterSecond = services();
    if (!first.login?.ok || !second.login?.ok) throw new Error(`enrollment failed: ${first.enrollment.failure?.reason ?? second.enrollment.failure?.reason}`);
    const cpu = (a: { cpuS: number }, b: { cpuS: number }) => Math.round((b.cpuS - a.cpuS) * 100) / 100;
    console.log(
      JSON.stringify({
        from,
        startMs,
        startCpuS: atReady.cpuS,
        firstCitizenMs: citizenMs,
        firstEnrollmentMs: firstMs,
        firstEnrollmentCpuS: cpu(beforeFirst, afterFirst),
        secondEnrollmentMs: secondMs,
        secondEnrollmentCpuS: cpu(beforeSecond, afterSecond),
        servicesRssMb: afterSecond.rssMb,
      }),
    );
  } finally {
    await platform.stop();
  }
}

runAsScript(module, run);
