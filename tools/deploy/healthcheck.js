// Container health check (Docker HEALTHCHECK, compose): `node tools/deploy/healthcheck.js [live|ready]`.
// Plain JavaScript on purpose: it runs every few seconds and must not pay for the TypeScript register hook.
// The port is HTTP_PORT, else the service's default port (APP, and CARRIER for mno-tsm). deploy/test checks
// these defaults against deploy/src/services.ts.
'use strict';

const DEFAULT_PORTS = { 'jpki-ca': 7100, 'sp-tsm': 7200, 'se-tsm': 7304, vsim: 7400, lifecycle: 7500, 'rp-bank': 7600, 'rp-ticketing': 7700, 'rp-eapplication': 7900 };
const MNO_PORTS = { docomo: 7301, kddi: 7302, softbank: 7303 };

function portOf(env) {
  return env.HTTP_PORT || (env.APP === 'mno-tsm' ? MNO_PORTS[env.CARRIER] : DEFAULT_PORTS[env.APP]);
}

function main() {
  const port = portOf(process.env);
  const probe = process.argv[2] === 'ready' ? 'ready' : 'live';

  if (!port) {
    console.error('healthcheck: set HTTP_PORT (or APP/CARRIER)');
    process.exit(1);
  }

  fetch(`http://127.0.0.1:${port}/health/${probe}`, { signal: AbortSignal.timeout(2500) }).then(
    (res) => process.exit(res.ok ? 0 : 1),
    (err) => {
      console.error(`healthcheck: ${err.message}`);
      process.exit(1);
    },
  );
}

if (require.main === module) main();
else module.exports = { portOf };
