/**
 * All benchmarks of the platform, one after the other (`npm run bench`). Each module exports `run()` and is
 * also runnable alone: `node -r @swc-node/register tools/bench/<name>.ts`. Add new benchmarks to the list.
 */
const benches = ['./bank-logins', './loss-to-ocsp'];

async function main(): Promise<void> {
  for (const bench of benches) {
    const module = (await import(bench)) as { run(): Promise<unknown> };
    await module.run();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
